package instance

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/sdk"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/permissions"
)

// shareBed is the real gateway (TLS on loopback) deciding on records proven
// against an in-process chain with two apps of one owner: "diary", which keeps
// its data in its own namespace, and "reader", which declares
// storage:read-shared:diary. The test moves the gateway's verified head itself
// (advance), so "within one block" is exact.
type shareBed struct {
	t           *testing.T
	ta          *testutil.TestApp
	ch          *Chain
	db          *DB
	c           *sdk.Client
	user, owner *testutil.Account
	diary       *sdk.Session
	tlsKey      []byte // the gateway's pinned TLS key
}

const (
	readerApp = "reader"
	diaryApp  = "diary"
)

var (
	readerKey = testutil.NewAccount(1).Key
	diaryKey  = testutil.NewAccount(2).Key
	// readerJSSeed is an Ed25519 key of reader held by the JS SDK (TestJSSharedRead).
	readerJSSeed = bytes.Repeat([]byte{9}, 32)
)

// newShareBed grants reader readerGrant (besides its own storage:read and write)
// and writes diary's keys.
func newShareBed(t *testing.T, readerGrant ...string) *shareBed {
	t.Helper()
	user, owner := testutil.NewAccount(0), testutil.NewAccount(1)
	ta := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState([]*testutil.Account{user, owner}, 10_000_000))
	t.Cleanup(func() { _ = ta.Close() })
	ta.NextBlock()
	b := &shareBed{t: t, ta: ta, user: user, owner: owner}
	reg := func(id string, keys []crypto.PubKey, scopes ...string) runtime.Msg {
		m := &permissions.MsgRegisterApp{Owner: owner.Addr.String(), Id: id, Name: id, Scopes: scopes,
			Deposit: types.Coins{types.NewCoin(testutil.Denom, permissions.DefaultMinDeposit)}}
		for _, pub := range keys {
			m.PubKeys = append(m.PubKeys, types.PubKey{Type: pub.Type(), Key: pub.Bytes()})
		}
		return m
	}
	jsKey, err := crypto.PrivKeyFromTyped(crypto.KeyTypeEd25519, readerJSSeed)
	if err != nil {
		t.Fatal(err)
	}
	rw := []string{"storage:delete", "storage:read", "storage:write"}
	b.run(owner, reg(diaryApp, []crypto.PubKey{diaryKey.PubKey()}, rw...))
	b.run(owner, reg(readerApp, []crypto.PubKey{readerKey.PubKey(), jsKey.PubKey()}, "storage:read", "storage:write", "storage:read-shared:diary"))
	b.run(user, &permissions.MsgGrant{User: user.Addr.String(), AppId: diaryApp, Scopes: rw, ExpiryHeight: 1_000_000})
	b.run(user, &permissions.MsgGrant{User: user.Addr.String(), AppId: readerApp,
		Scopes: append([]string{"storage:read", "storage:write"}, readerGrant...), ExpiryHeight: 1_000_000})

	dir := t.TempDir()
	kr, _ := keyring.New(keyring.BackendMemory, "", nil)
	ts, err := tlsSigner(kr, TLSKeyName, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeCert(dir, ts, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	tc, err := TLSConfig(dir, TLSKeyName, kr)
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := seal.GenerateKey(rand.Reader)
	if b.db, err = OpenDB(dir, sk.Public(), sk); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.db.Close() })
	cfg := DefaultConfig()
	cfg.OwnerAddress, cfg.RatePerSecond, cfg.RateBurst = user.Addr.String(), 1_000_000, 1_000_000
	b.ch = provenChain(t, ta, user.Addr.String(), ta.Query)
	srv, err := NewServer(cfg, b.ch, b.db)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln, tc); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	b.tlsKey = ts.pub
	if b.c, err = sdk.New(sdk.Config{URL: "https://" + ln.Addr().String(), Owner: cfg.OwnerAddress, TLSKey: ts.pub}); err != nil {
		t.Fatal(err)
	}
	if b.diary, err = b.c.Authenticate(ctx, diaryApp, diaryKey, rw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"notes/a", "notes/b", "notes", "notes-a", "notesx", "notesy", "secrets/x"} {
		if _, err := b.diary.Storage.Save(ctx, k, []byte("diary's "+k)); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// run executes one tx in its own block and makes its state the gateway's proven state.
func (b *shareBed) run(acc *testutil.Account, m runtime.Msg) {
	b.t.Helper()
	if r := b.ta.NextBlock(testutil.SignTx(acc, testutil.TxOpts{}, m)).TxResults[0]; r.Code != 0 {
		b.t.Fatal(r.Log)
	}
	if b.ch != nil {
		b.advance()
	}
}

// advance is the light client verifying header H+1 of the last block H.
func (b *shareBed) advance() {
	cid := b.ta.LastCommitID()
	b.ch.mu.Lock()
	b.ch.latest = &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{Header: &cmttypes.Header{Height: cid.Version + 1, AppHash: cid.Hash}}}
	b.ch.verified = time.Now()
	b.ch.mu.Unlock()
}

// reader opens a session of reader asking for scopes.
func (b *shareBed) reader(scopes ...string) *sdk.Session {
	b.t.Helper()
	s, err := b.c.Authenticate(context.Background(), readerApp, readerKey, scopes)
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// raw sends a signed request of sess for pathAndQuery and returns the status,
// body and error code ("" for 2xx).
func (b *shareBed) raw(sess *sdk.Session, method, pathAndQuery string, body []byte) (int, []byte, string) {
	b.t.Helper()
	req, err := sess.NewRequest(context.Background(), method, pathAndQuery, body)
	if err != nil {
		b.t.Fatal(err)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return res.StatusCode, nil, errCode(sdk.DecodeError(res))
	}
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out, ""
}

func decision(err error) string {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e.Decision
	}
	return ""
}

// TestShareReadWithGrant: with storage:read-shared:diary/notes/ granted, reader
// reads and lists diary's notes/ — and nothing else of diary's: not secrets/, not
// the key "notes" itself, not "notesx", not a list of the whole namespace. Its own
// namespace stays its own.
func TestShareReadWithGrant(t *testing.T) {
	b := newShareBed(t, "storage:read-shared:diary/notes/")
	ctx := context.Background()
	r := b.reader("storage:read", "storage:read-shared:diary/notes/")
	sh := r.Storage.Shared(diaryApp)
	v, ver, err := sh.Get(ctx, "notes/a")
	if err != nil || string(v) != "diary's notes/a" || ver != 1 {
		t.Fatalf("shared read: %q v%d %v", v, ver, err)
	}
	if v, _, err := sh.GetVersion(ctx, "notes/b", 1); err != nil || string(v) != "diary's notes/b" {
		t.Fatalf("shared read of a version: %q %v", v, err)
	}
	if _, _, err := sh.Get(ctx, "notes/none"); errCode(err) != wire.CodeNotFound {
		t.Fatalf("missing key: %v", err)
	}
	for _, k := range []string{"secrets/x", "notes", "notesx"} {
		v, _, err := sh.Get(ctx, k)
		if errCode(err) != wire.CodeForbidden || decision(err) != "DECISION_SCOPE_NOT_GRANTED" || v != nil {
			t.Errorf("read diary's %s: %q %v", k, v, err)
		}
	}
	l, err := sh.List(ctx, "notes/", "", 10)
	if err != nil || len(l.Items) != 2 || l.Items[0].Key != "notes/a" || l.Items[1].Key != "notes/b" {
		t.Fatalf("shared list: %+v %v", l, err)
	}
	for _, p := range []string{"", "notes", "secrets/", "note"} {
		if l, err := sh.List(ctx, p, "", 10); errCode(err) != wire.CodeForbidden || len(l.Items) != 0 {
			t.Errorf("list diary's %q: %+v %v", p, l, err)
		}
	}
	// reader's own namespace is empty: "notes/a" there is not diary's.
	if _, _, err := r.Storage.Get(ctx, "notes/a"); errCode(err) != wire.CodeNotFound {
		t.Fatalf("own namespace: %v", err)
	}
	if _, _, err := r.Storage.Shared(readerApp).Get(ctx, "notes/a"); errCode(err) != sdk.CodeInvalidArgument {
		t.Fatalf("Shared(<itself>): %v", err)
	}
	// Another app the reader did not declare: refused by its declaration.
	if _, _, err := r.Storage.Shared("photos").Get(ctx, "notes/a"); decision(err) != "DECISION_SCOPE_NOT_DECLARED" {
		t.Fatalf("undeclared app: %v", err)
	}
	if _, _, err := r.Storage.Shared("Diary").Get(ctx, "notes/a"); errCode(err) != sdk.CodeInvalidArgument {
		t.Fatalf("malformed app id in the SDK: %v", err)
	}
}

// TestShareDeniedWithoutGrant: reader declares storage:read-shared:diary but the
// user never granted it: every read and list of diary's is forbidden, nothing
// is returned, and asking for it in a session records a request for the user.
func TestShareDeniedWithoutGrant(t *testing.T) {
	b := newShareBed(t)
	ctx := context.Background()
	r := b.reader("storage:read")
	sh := r.Storage.Shared(diaryApp)
	if v, _, err := sh.Get(ctx, "notes/a"); errCode(err) != wire.CodeForbidden || decision(err) != "DECISION_SCOPE_NOT_GRANTED" || v != nil {
		t.Fatalf("read without a grant: %q %v", v, err)
	}
	if l, err := sh.List(ctx, "", "", 10); errCode(err) != wire.CodeForbidden || len(l.Items) != 0 {
		t.Fatalf("list without a grant: %+v %v", l, err)
	}
	status, body, code := b.raw(r, http.MethodGet, wire.PathStorage+"notes/a?app=diary", nil)
	if status != http.StatusForbidden || code != wire.CodeForbidden || body != nil {
		t.Fatalf("raw read: %d %q %s", status, body, code)
	}
	_, err := b.c.Authenticate(ctx, readerApp, readerKey, []string{"storage:read-shared:diary/notes/"})
	var e *sdk.Error
	if !errors.As(err, &e) || e.Code != wire.CodePending {
		t.Fatalf("asking for the share: %v", err)
	}
	reqs, err := b.db.Requests("")
	if err != nil || len(reqs) != 1 || reqs[0].App != readerApp || len(reqs[0].Scopes) != 1 || reqs[0].Scopes[0] != "storage:read-shared:diary/notes/" {
		t.Fatalf("pending requests: %+v %v", reqs, err)
	}
	// A foreign scope must name an app.
	for _, bad := range []string{"storage:read-shared", "storage:read-shared:/diary", "storage:write-shared:diary"} {
		if _, err := b.c.Authenticate(ctx, readerApp, readerKey, []string{bad}); errCode(err) != wire.CodeBadRequest {
			t.Errorf("session for %s: %v", bad, err)
		}
	}
}

// TestShareRevokedWithinOneBlock: a revoke of the share in block R refuses the
// next read once header R+1 is verified; before that the proven state still allows it.
func TestShareRevokedWithinOneBlock(t *testing.T) {
	b := newShareBed(t, "storage:read-shared:diary/notes/")
	ctx := context.Background()
	sh := b.reader("storage:read-shared:diary/notes/").Storage.Shared(diaryApp)
	if _, _, err := sh.Get(ctx, "notes/a"); err != nil {
		t.Fatal(err)
	}
	revoke := &permissions.MsgRevoke{User: b.user.Addr.String(), AppId: readerApp, Scopes: []string{"storage:read-shared:diary/notes/"}}
	if r := b.ta.NextBlock(testutil.SignTx(b.user, testutil.TxOpts{}, revoke)).TxResults[0]; r.Code != 0 {
		t.Fatal(r.Log)
	}
	if _, _, err := sh.Get(ctx, "notes/a"); err != nil {
		t.Fatalf("before header R+1 is verified the proven state is R-1's: %v", err)
	}
	b.advance() // header R+1
	if v, _, err := sh.Get(ctx, "notes/a"); decision(err) != "DECISION_SCOPE_NOT_GRANTED" || v != nil {
		t.Fatalf("after the revoke's block: %q %v", v, err)
	}
	if _, err := sh.List(ctx, "notes/", "", 10); decision(err) != "DECISION_SCOPE_NOT_GRANTED" {
		t.Fatalf("list after the revoke's block: %v", err)
	}
	// reader's own grant is untouched.
	if _, err := b.reader("storage:read").Storage.List(ctx, "", "", 10); err != nil {
		t.Fatal(err)
	}
}

// TestShareIsReadOnly: with the share and its own storage:write, reader still
// cannot write or delete in diary's namespace (shared_read_only); diary's data,
// its versions and the instance's usage are unchanged.
func TestShareIsReadOnly(t *testing.T) {
	b := newShareBed(t, "storage:read-shared:diary")
	ctx := context.Background()
	r := b.reader("storage:read", "storage:read-shared:diary", "storage:write")
	usage, err := b.db.Usage()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{http.MethodPut, http.MethodDelete} {
		for _, p := range []string{"notes/a?app=diary", "new?app=diary", "notes/a?app=diary&version=1"} {
			status, _, code := b.raw(r, m, wire.PathStorage+p, []byte("reader's"))
			if status != http.StatusForbidden || code != wire.CodeSharedReadOnly {
				t.Errorf("%s %s: %d %s", m, p, status, code)
			}
		}
	}
	if status, _, code := b.raw(r, http.MethodPost, wire.PathStorage+"notes/a?app=diary", nil); status != http.StatusMethodNotAllowed || code != wire.CodeBadRequest {
		t.Errorf("POST: %d %s", status, code)
	}
	if v, ver, err := b.diary.Storage.Get(ctx, "notes/a"); err != nil || string(v) != "diary's notes/a" || ver != 1 {
		t.Fatalf("diary's value after refused writes: %q v%d %v", v, ver, err)
	}
	if _, _, err := b.diary.Storage.Get(ctx, "new"); errCode(err) != wire.CodeNotFound {
		t.Fatalf("a refused write stored a value: %v", err)
	}
	if u, _ := b.db.Usage(); u != usage {
		t.Fatalf("usage %d -> %d", usage, u)
	}
	if !errors.Is(func() error {
		_, _, c := b.raw(r, http.MethodPut, wire.PathStorage+"x?app=diary", nil)
		return &sdk.Error{Code: c}
	}(), sdk.ErrSharedReadOnly) {
		t.Fatal("ErrSharedReadOnly does not match")
	}
	// Its own namespace takes its writes, also when named explicitly.
	if status, _, code := b.raw(r, http.MethodPut, wire.PathStorage+"mine?app=reader", []byte("x")); status != 200 {
		t.Fatalf("own write with ?app=reader: %d %s", status, code)
	}
	if v, _, err := r.Storage.Get(ctx, "mine"); err != nil || string(v) != "x" {
		t.Fatalf("%q %v", v, err)
	}
}

// TestShareTricks: the app parameter and keys that try to escape are refused
// before anything is read (bad_request / bad_key), even with the whole of diary shared.
func TestShareTricks(t *testing.T) {
	b := newShareBed(t, "storage:read-shared:diary/notes/")
	r := b.reader("storage:read-shared:diary/notes/")
	for p, want := range map[string]string{
		"notes/a?app=diary&app=reader":       wire.CodeBadRequest,
		"notes/a?app=reader&app=diary":       wire.CodeBadRequest,
		"notes/a?app=":                       wire.CodeBadRequest,
		"notes/a?app=DIARY":                  wire.CodeBadRequest,
		"notes/a?app=diary%2f..%2freader":    wire.CodeBadRequest,
		"notes/a?app=diary/notes":            wire.CodeBadRequest,
		"notes/a?app=..":                     wire.CodeBadRequest,
		"notes/a?app=di":                     wire.CodeBadRequest,
		"notes/a?app=diary%00":               wire.CodeBadRequest,
		"notes/a?app=%zz":                    wire.CodeBadRequest,
		"notes/../secrets/x?app=diary":       wire.CodeBadKey,
		"notes/%2e%2e/secrets/x?app=diary":   wire.CodeBadKey,
		"notes/%2fsecrets?app=diary":         wire.CodeBadKey,
		"notes//secrets/x?app=diary":         wire.CodeBadKey,
		"notes/./a?app=diary":                wire.CodeBadKey,
		"notes/A?app=diary":                  wire.CodeBadKey,
		"?app=diary&prefix=notes/../secrets": wire.CodeBadKey,
		"?app=diary&prefix=/notes":           wire.CodeBadKey,
		"?app=diary&prefix=notes/%2e%2e":     wire.CodeBadKey,
	} {
		status, body, code := b.raw(r, http.MethodGet, wire.PathStorage+p, nil)
		if code != want || body != nil || status/100 != 4 {
			t.Errorf("GET %s: %d %q %q (want %s)", p, status, body, code, want)
		}
	}
	// What is granted still works after all that.
	if _, _, code := b.raw(r, http.MethodGet, wire.PathStorage+"notes/a?app=diary", nil); code != "" {
		t.Fatal(code)
	}
}

// TestShareAudit: a shared read is audited under the reading app with the
// namespace it reached and the exact scope; `audit --app diary` shows who read
// diary's data, allowed or not.
func TestShareAudit(t *testing.T) {
	b := newShareBed(t, "storage:read-shared:diary/notes/")
	ctx := context.Background()
	sh := b.reader("storage:read-shared:diary/notes/").Storage.Shared(diaryApp)
	if _, _, err := sh.Get(ctx, "notes/a"); err != nil {
		t.Fatal(err)
	}
	_, _, _ = sh.Get(ctx, "secrets/x")
	es, err := b.db.AuditLog(diaryApp, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []AuditEntry
	for _, e := range es {
		if e.App == readerApp && e.Method == http.MethodGet {
			got = append(got, e)
		}
	}
	if len(got) != 2 {
		t.Fatalf("reader's reads in diary's log: %+v", es)
	}
	if g := got[0]; g.Namespace != diaryApp || g.Scope != "storage:read-shared:diary/notes/a" || g.Result != "allowed" {
		t.Errorf("allowed read: %+v", g)
	}
	if g := got[1]; g.Namespace != diaryApp || g.Scope != "storage:read-shared:diary/secrets/x" || g.Result != wire.CodeForbidden {
		t.Errorf("refused read: %+v", g)
	}
	// The reader's own log has them too; diary's own writes carry no namespace.
	mine, _ := b.db.AuditLog(readerApp, 100)
	if len(mine) < 2 {
		t.Fatalf("reader's log: %+v", mine)
	}
	for _, e := range es {
		if e.App == diaryApp && e.Namespace != "" {
			t.Errorf("diary's own request with a namespace: %+v", e)
		}
	}
}

// TestListShowsOnlyCoveredKeys: a list of "notes" (no slash) shows "notes" and
// "notes/…", never "notesx", which storage:read:notes does not cover — also in
// the app's own namespace.
func TestListShowsOnlyCoveredKeys(t *testing.T) {
	b := newShareBed(t, "storage:read-shared:diary")
	ctx := context.Background()
	for _, l := range []func() (wire.ListResponse, error){
		func() (wire.ListResponse, error) { return b.diary.Storage.List(ctx, "notes", "", 10) },
		func() (wire.ListResponse, error) {
			return b.reader("storage:read-shared:diary").Storage.Shared(diaryApp).List(ctx, "notes", "", 10)
		},
	} {
		res, err := l()
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, it := range res.Items {
			keys = append(keys, it.Key)
		}
		if strings.Join(keys, " ") != "notes notes/a notes/b" {
			t.Errorf("list notes: %v", keys)
		}
	}
}

// TestListCursorStaysCovered: paging a list of "notes" at every page size shows
// exactly the covered keys, and no next_cursor names an uncovered one ("notes-a",
// "notesx"), in the app's own namespace and in a shared one.
func TestListCursorStaysCovered(t *testing.T) {
	b := newShareBed(t, "storage:read-shared:diary/notes")
	ctx := context.Background()
	shared := b.reader("storage:read-shared:diary/notes").Storage.Shared(diaryApp)
	for name, list := range map[string]func(string, int) (wire.ListResponse, error){
		"own":    func(c string, n int) (wire.ListResponse, error) { return b.diary.Storage.List(ctx, "notes", c, n) },
		"shared": func(c string, n int) (wire.ListResponse, error) { return shared.List(ctx, "notes", c, n) },
	} {
		for limit := 1; limit <= 6; limit++ {
			var keys []string
			cursor := ""
			for pages := 0; ; pages++ {
				res, err := list(cursor, limit)
				if err != nil || pages > 10 {
					t.Fatalf("%s limit %d: %v (pages %d)", name, limit, err, pages)
				}
				for _, it := range res.Items {
					keys = append(keys, it.Key)
				}
				if res.NextCursor != "" && !inPrefix(res.NextCursor, "notes") && res.NextCursor != "notes/" {
					t.Fatalf("%s limit %d: next_cursor %q is outside the prefix", name, limit, res.NextCursor)
				}
				if cursor = res.NextCursor; cursor == "" {
					break
				}
			}
			if strings.Join(keys, " ") != "notes notes/a notes/b" {
				t.Errorf("%s limit %d: %v", name, limit, keys)
			}
		}
	}
}
