package instance

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// gateway runs the real gateway in process over TLS on loopback, deciding on
// records proven against an in-process app's commit, and returns an SDK session
// of app "bench" (granted storage read and write).
func gateway(tb testing.TB) *sdk.Session {
	tb.Helper()
	rw := []string{"storage:read", "storage:write"}
	sess, _ := gatewayWith(tb, rw, rw, rw, nil)
	return sess
}

// gatewayWith is gateway with the app declaring declared, the user granting
// granted and the session asking for asked; it also returns the SDK client.
func gatewayWith(tb testing.TB, declared, granted, asked []string, edit func(*Config)) (*sdk.Session, *sdk.Client) {
	tb.Helper()
	c, _ := startGateway(tb, declared, granted, edit)
	sess, err := c.Authenticate(context.Background(), "bench", testOwnerKey(), asked)
	if err != nil {
		tb.Fatal(err)
	}
	return sess, c
}

// startGateway is gatewayWith without the session; it returns the gateway's database.
func startGateway(tb testing.TB, declared, granted []string, edit func(*Config)) (*sdk.Client, *DB) {
	tb.Helper()
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
			PubKeys: []types.PubKey{{Type: pub.Type(), Key: pub.Bytes()}}, Scopes: declared,
			Deposit: types.Coins{types.NewCoin(testutil.Denom, permissions.DefaultMinDeposit)}}},
		{user, &permissions.MsgGrant{User: user.Addr.String(), AppId: "bench", Scopes: granted, ExpiryHeight: 1_000_000}},
	} {
		if r := ta.NextBlock(testutil.SignTx(m.acc, testutil.TxOpts{}, m.msg)).TxResults[0]; r.Code != 0 {
			tb.Fatal(r.Log)
		}
	}
	ta.NextBlock()

	dir := tb.TempDir()
	kr, _ := keyring.New(keyring.BackendMemory, "", nil)
	ts, err := tlsSigner(kr, TLSKeyName, true)
	if err != nil {
		tb.Fatal(err)
	}
	if err := writeCert(dir, ts, []string{"127.0.0.1"}); err != nil {
		tb.Fatal(err)
	}
	tc, err := TLSConfig(dir, TLSKeyName, kr)
	if err != nil {
		tb.Fatal(err)
	}
	sk, _ := seal.GenerateKey(rand.Reader)
	db, err := OpenDB(dir, sk.Public(), sk)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	cfg := DefaultConfig()
	cfg.OwnerAddress, cfg.RatePerSecond, cfg.RateBurst = user.Addr.String(), 1_000_000, 1_000_000
	if edit != nil {
		edit(&cfg)
	}
	srv, err := NewServer(cfg, provenChain(tb, ta, user.Addr.String(), ta.Query), db)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln, tc); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
	c, err := sdk.New(sdk.Config{URL: "https://" + ln.Addr().String(), Owner: cfg.OwnerAddress, TLSKey: ts.pub})
	if err != nil {
		tb.Fatal(err)
	}
	return c, db
}

// TestGatewayInProcess: the in-process gateway the benchmarks use works, and the
// SDK refuses an instance whose TLS key is not the expected one.
func TestGatewayInProcess(t *testing.T) {
	rw := []string{"storage:read", "storage:write"}
	sess, c := gatewayWith(t, rw, rw, rw, nil)
	ctx := context.Background()
	// The handshake is TLS 1.3 with the hybrid post-quantum key exchange.
	conn, err := tls.Dial("tcp", strings.TrimPrefix(c.URL(), "https://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	st := conn.ConnectionState()
	conn.Close()
	if st.Version != tls.VersionTLS13 || st.CurveID != tls.X25519MLKEM768 {
		t.Fatalf("negotiated version %x, key exchange %v", st.Version, st.CurveID)
	}
	// A client pinning another key refuses the instance.
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	wrong, err := sdk.New(sdk.Config{URL: c.URL(), Owner: c.Owner(), TLSKey: other})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Authenticate(ctx, "bench", testOwnerKey(), rw); errCode(err) != sdk.CodeTLSKey {
		t.Fatalf("wrong pinned key: %v", err)
	}
	if _, err := sess.Storage.Save(ctx, "a", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, _, err := sess.Storage.Get(ctx, "a"); err != nil || string(v) != "v" {
		t.Fatalf("%q %v", v, err)
	}
}

// benchInFlight is how many requests one app keeps in flight in the storage
// benchmarks (goroutines sharing one session and the SDK's keep-alive connections),
// as an app serving several users at once would.
const benchInFlight = 16

// parallel runs op b.N times with benchInFlight requests in flight and reports
// requests/s and the 99th percentile latency.
func parallel(b *testing.B, op func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var mu sync.Mutex
	all := make([]time.Duration, 0, b.N)
	b.SetParallelism((benchInFlight + goruntime.GOMAXPROCS(0) - 1) / goruntime.GOMAXPROCS(0))
	b.ResetTimer()
	cpu0 := cpuTime()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var ds []time.Duration
		for pb.Next() {
			i := int(next.Add(1))
			t := time.Now()
			if err := op(i); err != nil {
				b.Error(err)
				return
			}
			ds = append(ds, time.Since(t))
		}
		mu.Lock()
		all = append(all, ds...)
		mu.Unlock()
	})
	el := time.Since(t0)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(all))/el.Seconds(), "req/s")
	// CPU time of the process (gateway and app together) per request: on a
	// machine shared with other work, req/s says how much CPU we were given,
	// this says how much a request costs.
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)), "cpu-us/req")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGatewayPut: one app putting 256-byte values through TLS on loopback
// (signature check, proven-records decision from the per-height cache, sealing,
// SQLite, audit), benchInFlight requests in flight.
func BenchmarkGatewayPut(b *testing.B) {
	sess := gateway(b)
	ctx := context.Background()
	val := make([]byte, 256)
	parallel(b, func(i int) error {
		_, err := sess.Storage.Save(ctx, "k/"+strconv.Itoa(i%1000), val)
		return err
	})
}

// BenchmarkGatewayGet: the same for reads of one 256-byte value.
func BenchmarkGatewayGet(b *testing.B) {
	sess := gateway(b)
	ctx := context.Background()
	if _, err := sess.Storage.Save(ctx, "k", make([]byte, 256)); err != nil {
		b.Fatal(err)
	}
	parallel(b, func(int) error {
		_, _, err := sess.Storage.Get(ctx, "k")
		return err
	})
}

// BenchmarkDecideCached: the permission decision with the proofs of the current
// height cached (what every request after the first in a block pays).
func BenchmarkDecideCached(b *testing.B) {
	user, owner := testutil.NewAccount(0), testutil.NewAccount(1)
	_ = owner
	ch := &Chain{latest: nil, cache: map[string]*Records{}}
	ch.latest = provenChain(b, newTestAppWithGrant(b, user, owner), user.Addr.String(), nil).latest
	ch.verified = time.Now()
	ch.cache["bench"] = &Records{Height: ch.latest.Height - 1, App: &permissions.App{Id: "bench", Scopes: []string{"storage:read"}},
		Grant: &permissions.Grant{Scopes: []string{"storage:read:notes/"}, ExpiryHeight: 1_000_000}}
	want := permissions.Scope{Name: "storage:read", Resource: "notes/a"}
	ctx := context.Background()
	for b.Loop() {
		r, err := ch.Records(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if d, _ := r.Decide(want, time.Now()); d != permissions.DECISION_ALLOWED {
			b.Fatal(d)
		}
	}
}

func newTestAppWithGrant(tb testing.TB, user, owner *testutil.Account) *testutil.TestApp {
	ta := testutil.NewTestApp(tb, nil, testutil.Config(), testutil.GenesisAppState([]*testutil.Account{user, owner}, 10_000_000))
	tb.Cleanup(func() { _ = ta.Close() })
	ta.NextBlock()
	return ta
}

// BenchmarkChatFirstToken: time to the first streamed piece through the gateway
// and, for comparison, straight from the model (a local stand-in answering at once).
func BenchmarkChatFirstToken(b *testing.B) {
	llm := llmServer(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n")
		w.(http.Flusher).Flush()
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	chat := []string{"ai:chat"}
	sess, _ := gatewayWith(b, chat, chat, chat, func(c *Config) { c.LLM, c.Model = llm, "m" })
	req := wire.ChatRequest{Messages: []wire.ChatMessage{{Role: "user", Content: "hi"}}}
	ctx := context.Background()
	b.Run("gateway", func(b *testing.B) {
		var first time.Duration
		for b.Loop() {
			t0 := time.Now()
			n := 0
			for piece, err := range sess.AI.Stream(ctx, req) {
				if err != nil || piece != "a" {
					b.Fatal(piece, err)
				}
				if n == 0 {
					first += time.Since(t0)
				}
				n++
			}
		}
		b.ReportMetric(float64(first.Microseconds())/float64(b.N)/1000, "first-token-ms")
	})
	b.Run("direct", func(b *testing.B) {
		body := []byte(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		var first time.Duration
		for b.Loop() {
			t0 := time.Now()
			res, err := http.Post(llm+"/chat/completions", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 16)
			if _, err := io.ReadFull(res.Body, buf); err != nil {
				b.Fatal(err)
			}
			first += time.Since(t0)
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		b.ReportMetric(float64(first.Microseconds())/float64(b.N)/1000, "first-token-ms")
	})
}
