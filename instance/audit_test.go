package instance

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/selfchain/selfchain/crypto/seal"
)

// TestAuditBatchedEveryEntry: entries queued concurrently by many requests are
// all written — those still queued at Close too — each once, in a log another
// opening of the database reads; after Close, Audit fails instead of losing one.
func TestAuditBatchedEveryEntry(t *testing.T) {
	k, _ := seal.GenerateKey(rand.Reader)
	dir := t.TempDir()
	db, err := OpenDB(dir, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := db.Audit(AuditEntry{Time: 1, App: fmt.Sprint("app", w), Method: "PUT", Path: fmt.Sprint(i), Result: "allowed", Height: int64(i)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// In the same process, AuditLog sees everything queued before it.
	if es, err := db.AuditLog("app3", 10_000); err != nil || len(es) != each {
		t.Fatalf("app3: %d entries, %v", len(es), err)
	}
	for i := range 100 {
		_ = db.Audit(AuditEntry{Time: 2, App: "last", Path: fmt.Sprint(i), Result: "allowed"})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(AuditEntry{App: "late"}); !errors.Is(err, errAuditClosed) {
		t.Fatalf("audit after close: %v", err)
	}

	db2, err := OpenDB(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	es, err := db2.AuditLog("", 100_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != writers*each+100 {
		t.Fatalf("%d entries after reopening, want %d", len(es), writers*each+100)
	}
	seen := map[string]bool{}
	for i, e := range es {
		id := e.App + "/" + e.Path
		if seen[id] {
			t.Fatalf("entry %s written twice", id)
		}
		seen[id] = true
		if i > 0 && e.ID <= es[i-1].ID {
			t.Fatalf("log not oldest first at %d", i)
		}
	}
	if last := es[len(es)-1]; last.App != "last" || last.Path != "99" {
		t.Fatalf("the entries queued at Close: last is %+v", last)
	}
}

// TestAuditNamespaceMigration: an audit table made before cross-app sharing (no
// namespace column) gets the column when the database opens; old entries read
// as the app's own namespace, new ones keep theirs.
func TestAuditNamespaceMigration(t *testing.T) {
	dir := t.TempDir()
	old, err := sql.Open("sqlite", "file:"+filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, app TEXT NOT NULL, app_key TEXT NOT NULL,
  method TEXT NOT NULL, path TEXT NOT NULL, scope TEXT NOT NULL, result TEXT NOT NULL, reason TEXT NOT NULL,
  height INTEGER NOT NULL);
INSERT INTO audit (time, app, app_key, method, path, scope, result, reason, height) VALUES (1, 'diary', 'k', 'GET', '/v1/storage/a', 'storage:read:a', 'allowed', '', 5)`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	k, _ := seal.GenerateKey(rand.Reader)
	for range 2 { // the second opening finds the column already there
		db, err := OpenDB(dir, k.Public(), k)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Audit(AuditEntry{Time: 2, App: "reader", Namespace: "diary", Method: "GET", Result: "allowed"}); err != nil {
			t.Fatal(err)
		}
		es, err := db.AuditLog("diary", 10)
		db.Close()
		if err != nil || len(es) < 2 || es[0].App != "diary" || es[0].Namespace != "" || es[0].Height != 5 || es[1].Namespace != "diary" {
			t.Fatalf("%+v %v", es, err)
		}
	}
}
