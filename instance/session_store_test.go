package instance

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/sdk"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/permissions"
)

// A session saved at a clean stop comes back with its exact sequence window
// (used numbers stay refused, new ones are accepted); the token is not stored;
// a session not saved (a crash) does not come back, nor does one restored once
// and then not saved again.
func TestSessionsSaveLoad(t *testing.T) {
	db, dir := testDB(t)
	a := newAuthState(db)
	if err := a.load(); err != nil {
		t.Fatal(err)
	}
	pk := testutil.NewAccount(1).Key.PubKey()
	s, tok, e := a.newSession("app", pk, time.Hour)
	if e != nil {
		t.Fatal(e)
	}
	for _, n := range []uint64{1, 2, 3, 5, 1500} {
		if !s.accept(n) {
			t.Fatalf("seq %d refused", n)
		}
	}
	if err := a.save(); err != nil {
		t.Fatal(err)
	}
	if s.accept(1501) {
		t.Fatal("a saved session accepted a request after the save")
	}
	b := newAuthState(db)
	if err := b.load(); err != nil {
		t.Fatal(err)
	}
	r := b.session(tok)
	if r == nil || r.app != "app" || !r.key.Equals(pk) || r.expires.UnixNano() != s.expires.UnixNano() {
		t.Fatalf("restored %+v", r)
	}
	for _, n := range []uint64{5, 1500, 400} { // used, used, and 400 is out of the window (1500-1024)
		if r.accept(n) {
			t.Fatalf("restored session accepted seq %d again", n)
		}
	}
	for _, n := range []uint64{1000, 1498, 1501} {
		if !r.accept(n) {
			t.Fatalf("restored session refused new seq %d", n)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, dbFile+"*"))
	for _, f := range files {
		if bz, _ := os.ReadFile(f); bytes.Contains(bz, []byte(tok)) {
			t.Fatalf("%s holds the session token", f)
		}
	}
	// Restored, then stopped without a save (a crash): not restored again.
	c := newAuthState(db)
	if err := c.load(); err != nil {
		t.Fatal(err)
	}
	if c.session(tok) != nil {
		t.Fatal("a session came back after a crash")
	}
	// A session created and never saved does not come back either.
	_, tok2, _ := c.newSession("app", pk, time.Hour)
	d := newAuthState(db)
	if err := d.load(); err != nil || d.session(tok2) != nil {
		t.Fatalf("an unsaved session came back (%v)", err)
	}
	var n int
	if err := db.sql.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d session rows left (%v)", n, err)
	}
}

// A damaged row (wrong window size, unknown key type) is dropped, never half-restored.
func TestSessionsDamagedRowDropped(t *testing.T) {
	db, _ := testDB(t)
	a := newAuthState(db)
	pk := testutil.NewAccount(1).Key.PubKey()
	_, tok, _ := a.newSession("app", pk, time.Hour)
	_, tok2, _ := a.newSession("app", pk, time.Hour)
	if err := a.save(); err != nil {
		t.Fatal(err)
	}
	h, h2 := tokenHash(tok), tokenHash(tok2)
	if _, err := db.sql.Exec(`UPDATE sessions SET seen=x'00' WHERE hash=?`, h[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`UPDATE sessions SET key_type='nope' WHERE hash=?`, h2[:]); err != nil {
		t.Fatal(err)
	}
	b := newAuthState(db)
	if err := b.load(); err != nil {
		t.Fatal(err)
	}
	if b.session(tok) != nil || b.session(tok2) != nil {
		t.Fatal("a damaged session was restored")
	}
}

// restartable is a gateway over one home directory that can be stopped and
// started again on the same address, deciding on records proven from ta.
type restartable struct {
	tb     testing.TB
	ta     *testutil.TestApp
	user   string
	dir    string
	sk     *seal.PrivateKey
	kr     keyring.Keyring
	tlsPub []byte
	addr   string
	edit   func(*Config)
	db     *DB
	stop   func()
	errCh  chan error
}

func newRestartable(tb testing.TB, edit func(*Config)) (*restartable, *testutil.Account) {
	rw := []string{"storage:read", "storage:write"}
	user, owner := testutil.NewAccount(0), testutil.NewAccount(1)
	ta := testutil.NewTestApp(tb, nil, testutil.Config(), testutil.GenesisAppState([]*testutil.Account{user, owner}, 10_000_000))
	tb.Cleanup(func() { _ = ta.Close() })
	ta.NextBlock()
	pub := owner.Key.PubKey()
	for _, m := range []struct {
		acc *testutil.Account
		msg runtime.Msg
	}{
		{owner, &permissions.MsgRegisterApp{Owner: owner.Addr.String(), Id: "bench", Name: "Bench",
			PubKeys: []types.PubKey{{Type: pub.Type(), Key: pub.Bytes()}}, Scopes: rw,
			Deposit: types.Coins{types.NewCoin(testutil.Denom, permissions.DefaultMinDeposit)}}},
		{user, &permissions.MsgGrant{User: user.Addr.String(), AppId: "bench", Scopes: rw, ExpiryHeight: 1_000_000}},
	} {
		if r := ta.NextBlock(testutil.SignTx(m.acc, testutil.TxOpts{}, m.msg)).TxResults[0]; r.Code != 0 {
			tb.Fatal(r.Log)
		}
	}
	ta.NextBlock()
	g := &restartable{tb: tb, ta: ta, user: user.Addr.String(), dir: tb.TempDir(), edit: edit}
	g.sk, _ = seal.GenerateKey(rand.Reader)
	g.kr, _ = keyring.New(keyring.BackendMemory, "", nil)
	ts, err := tlsSigner(g.kr, TLSKeyName, true)
	if err != nil {
		tb.Fatal(err)
	}
	if err := writeCert(g.dir, ts, []string{"127.0.0.1"}); err != nil {
		tb.Fatal(err)
	}
	g.tlsPub = ts.pub
	tb.Cleanup(func() {
		if g.stop != nil {
			g.stop()
		}
	})
	return g, user
}

// start opens the database and serves; it returns an SDK client for the gateway.
func (g *restartable) start() *sdk.Client {
	tb := g.tb
	tb.Helper()
	tc, err := TLSConfig(g.dir, TLSKeyName, g.kr)
	if err != nil {
		tb.Fatal(err)
	}
	if g.db, err = OpenDB(g.dir, g.sk.Public(), g.sk); err != nil {
		tb.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.OwnerAddress, cfg.RatePerSecond, cfg.RateBurst = g.user, 1_000_000, 1_000_000
	if g.edit != nil {
		g.edit(&cfg)
	}
	srv, err := NewServer(cfg, provenChain(tb, g.ta, g.user, g.ta.Query), g.db)
	if err != nil {
		tb.Fatal(err)
	}
	addr := g.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	g.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	g.errCh = make(chan error, 1)
	go func() { g.errCh <- srv.Serve(ctx, ln, tc) }()
	db := g.db
	g.stop = func() {
		cancel()
		if err := <-g.errCh; err != nil {
			tb.Errorf("serve: %v", err)
		}
		db.Close()
		g.stop = nil
	}
	c, err := sdk.New(sdk.Config{URL: "https://" + g.addr, Owner: g.user, TLSKey: g.tlsPub})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestGatewayRestartKeepsSessions: a session opened before a clean restart of
// the gateway keeps working after it (reads and writes, new sequence numbers;
// TestSessionsSaveLoad shows the numbers used before stay refused).
func TestGatewayRestartKeepsSessions(t *testing.T) {
	g, _ := newRestartable(t, nil)
	c := g.start()
	ctx := context.Background()
	sess, err := c.Authenticate(ctx, "bench", testOwnerKey(), []string{"storage:read", "storage:write"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Storage.Save(ctx, "a", []byte("before")); err != nil {
		t.Fatal(err)
	}
	g.stop()
	g.start()
	if v, _, err := sess.Storage.Get(ctx, "a"); err != nil || string(v) != "before" {
		t.Fatalf("read after restart: %q %v", v, err)
	}
	if ver, err := sess.Storage.Save(ctx, "a", []byte("after")); err != nil || ver != 2 {
		t.Fatalf("write after restart: %d %v", ver, err)
	}
	// A second restart continues the same session again.
	g.stop()
	g.start()
	if v, _, err := sess.Storage.Get(ctx, "a"); err != nil || string(v) != "after" {
		t.Fatalf("read after a second restart: %q %v", v, err)
	}
}

// TestGatewayRestartExpiredOrRevoked: a session that expired while the gateway
// was down stays refused (bad_session), and one whose grant was revoked while
// it was down is refused (forbidden) without changing the stored value.
func TestGatewayRestartExpiredOrRevoked(t *testing.T) {
	ttl := 2 * time.Second
	g, user := newRestartable(t, func(c *Config) { c.SessionTTL = Dur{ttl} })
	c := g.start()
	ctx := context.Background()
	rw := []string{"storage:read", "storage:write"}
	sess, err := c.Authenticate(ctx, "bench", testOwnerKey(), rw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Storage.Save(ctx, "a", []byte("v")); err != nil {
		t.Fatal(err)
	}
	g.stop()
	time.Sleep(ttl + 100*time.Millisecond)
	c = g.start()
	if _, _, err := sess.Storage.Get(ctx, "a"); errCode(err) != wire.CodeBadSession {
		t.Fatalf("expired session after restart: %v", err)
	}
	var n int
	if err := g.db.sql.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the expired session's row was not pruned: %d %v", n, err)
	}

	// Revoked while the gateway is down.
	sess, err = c.Authenticate(ctx, "bench", testOwnerKey(), rw)
	if err != nil {
		t.Fatal(err)
	}
	g.stop()
	if r := g.ta.NextBlock(testutil.SignTx(user, testutil.TxOpts{}, &permissions.MsgRevokeAll{User: user.Addr.String(), AppId: "bench"})).TxResults[0]; r.Code != 0 {
		t.Fatal(r.Log)
	}
	g.ta.NextBlock()
	g.start()
	if _, err := sess.Storage.Save(ctx, "a", []byte("overwrite")); errCode(err) != wire.CodeForbidden {
		t.Fatalf("write on a revoked grant after restart: %v", err)
	}
	if v, ver, err := g.db.Get("bench", "a", 0); err != nil || string(v) != "v" || ver != 1 {
		t.Fatalf("stored value changed: %q %d %v", v, ver, err)
	}
}

// FuzzSessionLoad: whatever a stored session row holds (a damaged or edited
// database), loading it neither panics nor restores a session with a key or a
// window other than the row's.
func FuzzSessionLoad(f *testing.F) {
	pk := testutil.NewAccount(1).Key.PubKey()
	f.Add(make([]byte, 32), pk.Type(), pk.Bytes(), int64(5), make([]byte, seqWindow/8))
	f.Add([]byte{1}, "ed25519", []byte{1, 2}, int64(-1), []byte{0})
	f.Add(make([]byte, 32), "mldsa65", make([]byte, 1952), int64(1<<62), []byte(nil))
	k, err := seal.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	db, err := OpenDB(f.TempDir(), k.Public(), k)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, hash []byte, keyType string, key []byte, high int64, seen []byte) {
		if _, err := db.sql.Exec(`DELETE FROM sessions`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.sql.Exec(`INSERT INTO sessions (hash, app, key_type, key, expires, high, seen, saved) VALUES (?,?,?,?,?,?,?,1)`,
			hash, "app", keyType, key, time.Now().Add(time.Hour).UnixNano(), high, seen); err != nil {
			return // not a row the table takes
		}
		a := newAuthState(db)
		if err := a.load(); err != nil {
			t.Fatal(err)
		}
		for h, s := range a.sessions {
			if !bytes.Equal(h[:], hash) || s.key.Type() != keyType || !bytes.Equal(s.key.Bytes(), key) || s.high != uint64(high) {
				t.Fatalf("restored %x %s %d from a row %x %s %d", h, s.key.Type(), s.high, hash, keyType, high)
			}
		}
	})
}

// Expired session rows are pruned during a long run, not only at start and stop.
func TestSessionsPrunedWhileRunning(t *testing.T) {
	db, _ := testDB(t)
	a := newAuthState(db)
	pk := testutil.NewAccount(1).Key.PubKey()
	if _, _, e := a.newSession("app", pk, time.Nanosecond); e != nil {
		t.Fatal(e)
	}
	time.Sleep(time.Millisecond)
	for range pruneEvery - 1 {
		if _, _, e := a.newSession("app", pk, time.Hour); e != nil {
			t.Fatal(e)
		}
	}
	var n int
	if err := db.sql.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != pruneEvery-1 {
		t.Fatalf("%d session rows after %d sessions, one expired (%v)", n, pruneEvery, err)
	}
}
