package instance

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDBVersionsListDelete(t *testing.T) {
	db, _ := testDB(t)
	for i, k := range []string{"notes/a", "notes/b", "notes/c", "other"} {
		if v, err := db.Put("app", k, []byte(fmt.Sprint("value", i)), QuotaFree); err != nil || v != 1 {
			t.Fatalf("put %s: %d %v", k, v, err)
		}
	}
	if v, err := db.Put("app", "notes/a", []byte("second"), QuotaFree); err != nil || v != 2 {
		t.Fatalf("put v2: %d %v", v, err)
	}
	if got, v, err := db.Get("app", "notes/a", 0); err != nil || v != 2 || string(got) != "second" {
		t.Fatalf("get latest: %q %d %v", got, v, err)
	}
	if got, _, err := db.Get("app", "notes/a", 1); err != nil || string(got) != "value0" {
		t.Fatalf("get v1: %q %v", got, err)
	}
	// Another app's namespace holds nothing of app's.
	if _, _, err := db.Get("other-app", "notes/a", 0); !errors.Is(err, errNotFound) {
		t.Fatalf("other app read: %v", err)
	}
	if _, err := db.Delete("app", "notes/b"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Get("app", "notes/b", 0); !errors.Is(err, errNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
	if _, err := db.Delete("app", "notes/b"); !errors.Is(err, errNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	var keys []string
	cursor := ""
	for {
		rows, next, err := db.List("app", "notes/", cursor, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			keys = append(keys, r.Key)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(keys) != "[notes/a notes/c]" {
		t.Fatalf("listed %v", keys)
	}
}

func TestDBQuota(t *testing.T) {
	db, _ := testDB(t)
	if _, err := db.Put("app", "a", make([]byte, 100), 5000); err != nil {
		t.Fatal(err)
	}
	used, _ := db.Usage()
	if _, err := db.Put("app", "b", make([]byte, 5000), 5000); !errors.Is(err, errQuota) {
		t.Fatalf("over quota: %v", err)
	}
	if after, _ := db.Usage(); after != used {
		t.Fatalf("usage moved from %d to %d on a refused put", used, after)
	}
	if _, _, err := db.Get("app", "b", 0); !errors.Is(err, errNotFound) {
		t.Fatalf("refused value stored: %v", err)
	}
}

// TestDBNoPlaintextAtRest: values and chat text are sealed in the database files.
func TestDBNoPlaintextAtRest(t *testing.T) {
	db, dir := testDB(t)
	if _, err := db.Put("app", "k", []byte("plaintext-value-marker"), QuotaFree); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendHistory("app", "ctx", [][2]string{{"user", "plaintext-chat-marker"}, {"assistant", "plaintext-answer-marker"}}); err != nil {
		t.Fatal(err)
	}
	h, err := db.History("app", "ctx")
	if err != nil || len(h) != 2 || h[1][1] != "plaintext-answer-marker" {
		t.Fatalf("history: %v %v", h, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, dbFile+"*"))
	for _, f := range files {
		bz, _ := os.ReadFile(f)
		for _, m := range []string{"plaintext-value-marker", "plaintext-chat-marker", "plaintext-answer-marker"} {
			if bytes.Contains(bz, []byte(m)) {
				t.Errorf("%s holds %q", f, m)
			}
		}
	}
}

// A sealed value moved to another row does not open: it is bound to app, key and version.
func TestDBSwappedValueDoesNotOpen(t *testing.T) {
	db, _ := testDB(t)
	if _, err := db.Put("a", "k", []byte("for a"), QuotaFree); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Put("b", "k", []byte("for b"), QuotaFree); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`UPDATE kv SET value=(SELECT value FROM kv WHERE app='a') WHERE app='b'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Get("b", "k", 0); err == nil {
		t.Fatal("a value swapped in from another app opened")
	}
}

func TestRequestsLifecycle(t *testing.T) {
	db, _ := testDB(t)
	r1, err := db.RecordRequest("app", []string{"ai:chat"}, "ed25519:AAAA")
	if err != nil || r1.Status != StatusPending {
		t.Fatal(r1, err)
	}
	again, _ := db.RecordRequest("app", []string{"ai:chat"}, "ed25519:AAAA")
	if again.ID != r1.ID {
		t.Fatalf("a repeated ask made a new request: %d vs %d", again.ID, r1.ID)
	}
	if err := db.DecideRequest(r1.ID, StatusDenied, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.DecideRequest(r1.ID, StatusApproved, ""); err == nil {
		t.Fatal("decided a request twice")
	}
	if denied, _ := db.RecordRequest("app", []string{"ai:chat"}, "ed25519:AAAA"); denied.Status != StatusDenied {
		t.Fatalf("a denied request came back as %s", denied.Status)
	}
	// Approved: retries get the approved request back while its grant is being
	// proven; once approvalProof has passed (the grant lapsed or was revoked),
	// a new pending request. Another key of the app is another request.
	r2, _ := db.RecordRequest("app", []string{"storage:read"}, "ed25519:AAAA")
	if err := db.DecideRequest(r2.ID, StatusApproved, "tx"); err != nil {
		t.Fatal(err)
	}
	if again, err := db.RecordRequest("app", []string{"storage:read"}, "ed25519:AAAA"); err != nil || again.ID != r2.ID || again.Status != StatusApproved {
		t.Fatalf("retry after approval: %+v %v", again, err)
	}
	if other, _ := db.RecordRequest("app", []string{"storage:read"}, "ed25519:BBBB"); other.ID == r2.ID || other.Status != StatusPending {
		t.Fatalf("another key: %+v", other)
	}
	if _, err := db.sql.Exec(`UPDATE requests SET decided=decided-? WHERE id=?`, int64(approvalProof/time.Second), r2.ID); err != nil {
		t.Fatal(err)
	}
	if later, _ := db.RecordRequest("app", []string{"storage:read"}, "ed25519:AAAA"); later.ID == r2.ID || later.Status != StatusPending {
		t.Fatalf("long after approval: %+v", later)
	}
}
