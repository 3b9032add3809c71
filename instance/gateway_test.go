package instance

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/sdk"
	"github.com/selfchain/selfchain/testutil"
)

func errCode(err error) string {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "no sdk error: " + errString(err)
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestGatewayScopePrefixes: a grant narrowed to a prefix is honoured exactly as
// the scope parser defines — "notes/" covers what is under it, "todo" covers
// itself and what is under it, never a sibling that merely starts alike.
func TestGatewayScopePrefixes(t *testing.T) {
	granted := []string{"storage:read:notes/", "storage:write:notes/", "storage:write:todo"}
	sess, _ := gatewayWith(t, []string{"storage:read", "storage:write"}, granted, granted, nil)
	ctx := context.Background()
	for _, c := range []struct {
		key  string
		want string // "" = allowed
	}{
		{"notes/a", ""}, {"notes/deep/b", ""}, {"todo", ""}, {"todo/x", ""},
		{"notes", wire.CodeForbidden}, {"notesx/a", wire.CodeForbidden}, {"todox", wire.CodeForbidden}, {"other", wire.CodeForbidden},
	} {
		_, err := sess.Storage.Save(ctx, c.key, []byte("v"))
		if c.want == "" && err != nil || c.want != "" && errCode(err) != c.want {
			t.Errorf("save %q: %v (want %q)", c.key, err, c.want)
		}
	}
	// Lists: under the granted prefix only.
	if l, err := sess.Storage.List(ctx, "notes/", "", 10); err != nil || len(l.Items) != 2 {
		t.Fatalf("list notes/: %+v %v", l, err)
	}
	for _, p := range []string{"", "note", "todo"} {
		if _, err := sess.Storage.List(ctx, p, "", 10); errCode(err) != wire.CodeForbidden {
			t.Errorf("list %q: %v", p, err)
		}
	}
	// Reading "todo" was never granted (write only).
	if _, _, err := sess.Storage.Get(ctx, "todo"); errCode(err) != wire.CodeForbidden {
		t.Errorf("read todo: %v", err)
	}
}

// TestGatewaySessionScopesMustBeGranted: a session asking for more than the grant
// gets a pending request; for an undeclared scope, the chain's refusal.
func TestGatewaySessionScopesMustBeGranted(t *testing.T) {
	_, c := gatewayWith(t, []string{"storage:read", "storage:write"}, []string{"storage:read"}, []string{"storage:read"}, nil)
	ctx := context.Background()
	key := testOwnerKey()
	if _, err := c.Authenticate(ctx, "bench", key, []string{"storage:read", "storage:write"}); errCode(err) != wire.CodePending {
		t.Fatalf("ungranted scope: %v", err)
	}
	_, err := c.Authenticate(ctx, "bench", key, []string{"ai:chat"})
	var e *sdk.Error
	if !errors.As(err, &e) || e.Code != wire.CodeForbidden || e.Decision != "DECISION_SCOPE_NOT_DECLARED" {
		t.Fatalf("undeclared scope: %v", err)
	}
	for _, bad := range [][]string{{"bank:send"}, {"storage:read:../x"}, {"nope:x"}, {}} {
		if _, err := c.Authenticate(ctx, "bench", key, bad); errCode(err) != wire.CodeBadRequest {
			t.Errorf("scopes %q: %v", bad, err)
		}
	}
	if _, err := c.Authenticate(ctx, "no-such-app", key, []string{"storage:read"}); errCode(err) != wire.CodeNoSuchApp {
		t.Errorf("unknown app: %v", err)
	}
}

// TestGatewayRequestChecks: clock skew, bad sequence numbers and tampered bodies.
func TestGatewayRequestChecks(t *testing.T) {
	sess, c := gatewayWith(t, []string{"storage:read", "storage:write"}, []string{"storage:read", "storage:write"}, []string{"storage:read", "storage:write"}, nil)
	ctx := context.Background()
	send := func(edit func(*http.Request)) string {
		t.Helper()
		req, err := sess.NewRequest(ctx, http.MethodPut, wire.PathStorage+"k", []byte("value"))
		if err != nil {
			t.Fatal(err)
		}
		edit(req)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode == 200 {
			return "ok"
		}
		return errCode(sdk.DecodeError(res))
	}
	for name, c := range map[string]struct {
		edit func(*http.Request)
		want string
	}{
		"old timestamp": {func(r *http.Request) {
			r.Header.Set(wire.HeaderTimestamp, strconv.FormatInt(time.Now().Unix()-600, 10))
		}, wire.CodeClockSkew},
		"tampered body": {func(r *http.Request) { r.Body = http.NoBody; r.ContentLength = 0 }, wire.CodeBadSignature},
		"other path":    {func(r *http.Request) { r.URL.Path = wire.PathStorage + "k2" }, wire.CodeBadSignature},
		"no seq":        {func(r *http.Request) { r.Header.Del(wire.HeaderSeq) }, wire.CodeBadRequest},
		"no session":    {func(r *http.Request) { r.Header.Del(wire.HeaderSession) }, wire.CodeBadSession},
		"bad session":   {func(r *http.Request) { r.Header.Set(wire.HeaderSession, wire.SessionScheme+"x") }, wire.CodeBadSession},
		"bad signature": {func(r *http.Request) { r.Header.Set(wire.HeaderSignature, "AAAA") }, wire.CodeBadSignature},
	} {
		if got := send(c.edit); got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
	if _, _, err := sess.Storage.Get(ctx, "k"); errCode(err) != wire.CodeNotFound {
		t.Fatalf("a refused request stored a value: %v", err)
	}
	if got := send(func(*http.Request) {}); got != "ok" {
		t.Fatalf("a good request: %s", got)
	}
	if v, _, err := sess.Storage.Get(ctx, "k"); err != nil || !bytes.Equal(v, []byte("value")) {
		t.Fatalf("%q %v", v, err)
	}
}

// testOwnerKey is the app key gatewayWith registers (testutil accounts are deterministic).
func testOwnerKey() sdk.Signer { return testutil.NewAccount(1).Key }

// TestGatewayApprovedNotYetProven: retries between `approve` and the gateway
// proving the grant's block reuse the one request — pending while pending, then
// authorization_approved (retry shortly) — and never record a second one.
func TestGatewayApprovedNotYetProven(t *testing.T) {
	rw := []string{"storage:read", "storage:write"}
	c, db := startGateway(t, rw, []string{"storage:read"}, nil)
	ctx := context.Background()
	key := testOwnerKey()
	var ids []uint64
	for range 3 {
		_, err := c.Authenticate(ctx, "bench", key, rw)
		var e *sdk.Error
		if !errors.As(err, &e) || e.Code != wire.CodePending {
			t.Fatalf("before approval: %v", err)
		}
		ids = append(ids, e.RequestID)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("retries made new requests: %v", ids)
	}
	// The user approves; the grant is not on (proven) chain yet.
	if err := db.DecideRequest(ids[0], StatusApproved, "tx"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err := c.Authenticate(ctx, "bench", key, rw)
		var e *sdk.Error
		if !errors.As(err, &e) || e.Code != wire.CodeApproved || e.RequestID != ids[0] || e.Status != http.StatusServiceUnavailable {
			t.Fatalf("approved, not yet proven: %v", err)
		}
		if !errors.Is(err, sdk.ErrApproved) || !strings.Contains(e.Message, "retry in ~1 s") {
			t.Fatalf("message: %v", err)
		}
	}
	all, err := db.Requests("")
	if err != nil || len(all) != 1 || all[0].Status != StatusApproved {
		t.Fatalf("requests after retries: %+v %v", all, err)
	}
	// AuthenticateWait keeps polling through authorization_approved (until ctx ends here).
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := c.AuthenticateWait(wctx, "bench", key, rw, 50*time.Millisecond, nil); errCode(err) != wire.CodePending {
		t.Fatalf("AuthenticateWait gave up with %v", err)
	}
}
