package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/constellation/dashboard"
	"github.com/selfchain/selfchain/x/bridge"
)

// devnet is a one-validator selfchaind chain made as scripts/devnet.sh makes it,
// on free loopback ports: the "SELF main chain" side of the bridge.
type devnet struct {
	e    *env
	home string
	rpc  string
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// sd runs selfchaind and requires success.
func (e *env) sd(args ...string) string {
	e.t.Helper()
	out, errOut, ok := e.run("selfchaind", args...)
	if !ok {
		e.t.Fatalf("selfchaind %s failed:\n%s%s", strings.Join(args, " "), out, errOut)
	}
	return out
}

func startDevnet(t *testing.T, e *env, accounts ...string) *devnet {
	d := &devnet{e: e, home: filepath.Join(t.TempDir(), "devnet")}
	rpcPort, p2pPort := freePort(t), freePort(t)
	d.rpc = fmt.Sprintf("http://127.0.0.1:%d", rpcPort)
	h := []string{"--home", d.home}
	e.sd(append(h, "init", "devnet", "--chain-id", "selfchain-devnet-1")...)
	e.sd(append(h, "config", "chain-id", "selfchain-devnet-1")...)
	e.sd(append(h, "config", "keyring-backend", "test")...)
	e.sd(append(h, "config", "node", fmt.Sprintf("tcp://127.0.0.1:%d", rpcPort))...)
	for _, a := range append([]string{"faucet"}, accounts...) {
		e.sd(append(h, "keys", "add", a)...)
		e.sd(append(h, "genesis", "add-account", a, "100000000000uself")...)
	}
	e.sd(append(h, "genesis", "set-operator", "devnet", "faucet")...)
	cfgPath := filepath.Join(d.home, "config", "config.toml")
	bz, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	cfg := string(bz)
	for old, new := range map[string]string{
		`timeout_commit = "1s"`:    `timeout_commit = "500ms"`,
		"tcp://127.0.0.1:26657":    fmt.Sprintf("tcp://127.0.0.1:%d", rpcPort),
		"tcp://0.0.0.0:26656":      fmt.Sprintf("tcp://127.0.0.1:%d", p2pPort),
		"prometheus = true":        "prometheus = false",
		`pprof_laddr = "localhost`: `pprof_laddr = "127.0.0.1`,
	} {
		cfg = strings.ReplaceAll(cfg, old, new)
	}
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o644))
	logf, err := os.Create(filepath.Join(d.home, "node.log"))
	require.NoError(t, err)
	cmd := exec.Command(filepath.Join(binDir, "selfchaind"), "start", "--home", d.home, "--api.address=") // init's fixed tx API port: other tests may hold it
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			bz, _ := os.ReadFile(filepath.Join(d.home, "node.log"))
			if len(bz) > 3000 {
				bz = bz[len(bz)-3000:]
			}
			t.Logf("devnet node.log tail:\n%s", bz)
		}
	})
	waitUntil(t, "devnet makes blocks", 30*time.Second, func() bool {
		_, _, ok := e.run("selfchaind", "--home", d.home, "query", "bank", "balances", "faucet")
		return ok
	})
	return d
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", d, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// balance is one denom's amount in `query bank balances <who>` (JSON), 0 if absent.
func (e *env) balance(home, who, denom string) int64 {
	e.t.Helper()
	out := e.sd("--home", home, "query", "bank", "balances", who, "--output", "json")
	var resp struct {
		Balances []struct{ Denom, Amount string } `json:"balances"`
	}
	require.NoError(e.t, json.Unmarshal([]byte(out), &resp), out)
	for _, b := range resp.Balances {
		if b.Denom == denom {
			n, err := strconv.ParseInt(b.Amount, 10, 64)
			require.NoError(e.t, err)
			return n
		}
	}
	return 0
}

func (e *env) addr(home, key string) string {
	return strings.TrimSpace(e.sd("--home", home, "keys", "show", key, "-a"))
}

// pendingCount is how many packets home's chain has pending over client.
func (e *env) pendingCount(home, client string) int {
	out := e.sd("--home", home, "query", "bridge", "unreceived", client, "--output", "json")
	var resp struct {
		Packets []json.RawMessage `json:"packets"`
	}
	require.NoError(e.t, json.Unmarshal([]byte(out), &resp), out)
	return len(resp.Packets)
}

// received reports the receipt of packet seq on home's chain over client.
func (e *env) received(home, client string, seq int) bool {
	out := e.sd("--home", home, "query", "bridge", "packet", client, strconv.Itoa(seq), "--output", "json")
	var resp struct {
		Received bool `json:"received"`
	}
	require.NoError(e.t, json.Unmarshal([]byte(out), &resp), out)
	return resp.Received
}

// transfer sends over the bridge with the CLI's positional form, waiting for the block.
func (e *env) transfer(home, from, client, receiver, amount string, extra ...string) {
	e.t.Helper()
	e.sd(append([]string{"--home", home, "tx", "bridge", "transfer", from, client, receiver, amount, "--wait", "--yes"}, extra...)...)
}

// Fees: the CLI's default gas limit at the nodes' gas price.
const cliFee = 200 // 200000 gas × 0.001

// TestBridgeRelay runs the devnet, a 4-validator ML-DSA-65 constellation chain
// and the relayer as built binaries: tokens there and back with exact balances
// and escrow; the relayer SIGKILLed with packets in flight and restarted by its
// supervisor, each packet delivered once; a packet past its timeout refunded
// after the relayer comes back; two relayers at once, each packet delivered once.
func TestBridgeRelay(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	senders := []string{"alice", "s1", "s2", "s3", "s4"}
	dev := startDevnet(t, e, senders...)
	e.c("new", "acme", "--validators", "4", "--consensus-key", "ml_dsa_65", "--denom", "uacme", "--supply", "1000000000", "--account", "bob=1000000", "--block-time", "300ms")
	e.cleanupDown("acme")
	e.c("up", "acme")
	acme := filepath.Join(e.home, "acme", "client")
	const cp = "selfchain-devnet"
	to := []string{"--to-rpc", dev.rpc, "--to-home", dev.home}

	// The relayer keys are made, but nothing is funded silently.
	out, errOut, ok := e.run("constellation", append([]string{"bridge", "acme"}, to...)...)
	require.False(t, ok, "bridge without relayer funds:\n%s", out)
	for _, want := range []string{"relayer key relayer (acme1", "has 0uacme; it needs fees", "has 0uself", "tx bank send"} {
		require.Contains(t, errOut, want)
	}
	e.sd("--home", acme, "tx", "bank", "send", "treasury", e.addr(acme, "relayer"), "10000000uacme", "--wait", "--yes")
	e.sd("--home", dev.home, "tx", "bank", "send", "faucet", e.addr(dev.home, "relayer"), "10000000uself", "--wait", "--yes")
	out = e.c(append([]string{"bridge", "acme"}, to...)...)
	require.Contains(t, out, "created client-0 on acme")
	require.Contains(t, out, "created client-0 on selfchain-devnet")
	out = e.c(append([]string{"bridge", "acme"}, to...)...)
	require.Contains(t, out, "already bridged", "a second bridge creates no second pair of clients")
	require.NotContains(t, e.sd("--home", acme, "query", "bridge", "clients"), "client-1")

	// Bad input is refused in plain words.
	_, errOut, ok = e.run("constellation", "relay", "acme", "--to", "nowhere")
	require.False(t, ok)
	require.Contains(t, errOut, "chain acme has no bridge to nowhere")
	_, errOut, ok = e.run("constellation", "bridge", "acme")
	require.False(t, ok)
	require.Contains(t, errOut, "name the counterparty")
	_, errOut, ok = e.run("constellation", "bridge", "acme", "--to", "acme")
	require.False(t, ok)
	require.Contains(t, errOut, "cannot bridge to itself")

	out = e.c("relay", "acme", "--to", cp)
	require.Contains(t, out, "started")
	t.Cleanup(func() { e.run("constellation", "relay", "stop", "acme", "--to", cp) })
	relayLog := filepath.Join(e.home, "acme", "logs", "relay-"+cp+".log")
	logText := func() string { bz, _ := os.ReadFile(relayLog); return string(bz) }
	defer func() {
		if t.Failed() {
			t.Logf("relay log:\n%s", logText())
		}
	}()

	alice, bob := e.addr(dev.home, "alice"), e.addr(acme, "bob")
	escrow := bridge.EscrowAddress("client-0").String() // the devnet's client of acme; self1...: the default prefix
	voucher := bridge.DenomTrace{Path: "transfer/client-0", BaseDenom: "uself"}.VoucherDenom()
	aliceBal := e.balance(dev.home, "alice", "uself")
	bobUacme := e.balance(acme, "bob", "uacme")

	// There: escrow on the devnet, a voucher on acme.
	t0 := time.Now()
	e.transfer(dev.home, "alice", "client-0", bob, "1000000uself")
	waitUntil(t, "the voucher reaches bob and the ack comes back", 60*time.Second, func() bool {
		return e.balance(acme, "bob", voucher) == 1_000_000 && e.pendingCount(dev.home, "client-0") == 0
	})
	t.Logf("there: delivered and acknowledged in %s", time.Since(t0).Round(100*time.Millisecond))
	aliceBal -= 1_000_000 + cliFee
	require.Equal(t, aliceBal, e.balance(dev.home, "alice", "uself"))
	require.Equal(t, int64(1_000_000), e.balance(dev.home, escrow, "uself"))

	// The queries a user follows a bridge with, on both sides.
	var info struct {
		Client struct {
			Status string `json:"status"`
			Client struct {
				ChainID string `json:"chain_id"`
			} `json:"client"`
		} `json:"client"`
	}
	require.NoError(t, json.Unmarshal([]byte(e.sd("--home", dev.home, "query", "bridge", "client", "client-0", "-o", "json")), &info))
	require.Equal(t, "CLIENT_STATUS_ACTIVE", info.Client.Status)
	require.Equal(t, "acme-1", info.Client.Client.ChainID)
	require.Contains(t, e.sd("--home", acme, "query", "bridge", "consensus-state", "client-0"), "app_hash:")
	require.Contains(t, e.sd("--home", acme, "query", "bridge", "denom", voucher), "base_denom: uself")

	// And back: the voucher burnt on acme, the escrow released on the devnet.
	e.transfer(acme, "bob", "client-0", alice, "400000"+voucher)
	waitUntil(t, "alice gets her tokens back", 60*time.Second, func() bool {
		return e.balance(dev.home, "alice", "uself") == aliceBal+400_000 && e.pendingCount(acme, "client-0") == 0
	})
	aliceBal += 400_000
	bobUacme -= cliFee
	require.Equal(t, int64(600_000), e.balance(acme, "bob", voucher))
	require.Equal(t, bobUacme, e.balance(acme, "bob", "uacme"))
	require.Equal(t, int64(600_000), e.balance(dev.home, escrow, "uself"))
	checkDashboardBridge(t, e.home, cp)

	// SIGKILL with packets in flight: four transfers at once; the relayer is
	// killed as soon as it logs a delivery (acks still to come), its supervisor
	// restarts it, and the new process finds the rest from state.
	sendAll := func(amount string, extra ...string) {
		var wg sync.WaitGroup
		for _, s := range senders[1:] {
			wg.Add(1)
			go func(s string) { defer wg.Done(); e.transfer(dev.home, s, "client-0", bob, amount, extra...) }(s)
		}
		wg.Wait()
	}
	// Someone else signs with the relayer's key: its next batch finds its
	// sequence stale, re-reads the account and carries on.
	e.sd("--home", acme, "tx", "bank", "send", "relayer", e.addr(acme, "treasury"), "1uacme", "--wait", "--yes")
	before := strings.Count(logText(), " recv ")
	sendAll("10000uself")
	waitUntil(t, "the relayer delivers a batch", 30*time.Second, func() bool { return strings.Count(logText(), " recv ") > before })
	pid, ok := readPIDFile(filepath.Join(e.home, "acme", "run", "relay-"+cp+".pid"))
	require.True(t, ok)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	waitUntil(t, "the supervisor restarts the relayer", 15*time.Second, func() bool {
		p, ok := readPIDFile(filepath.Join(e.home, "acme", "run", "relay-"+cp+".pid"))
		return ok && p != pid
	})
	waitUntil(t, "every packet is delivered and acknowledged", 60*time.Second, func() bool {
		return e.pendingCount(dev.home, "client-0") == 0
	})
	require.Contains(t, logText(), "signal: killed")
	require.Contains(t, logText(), "account sequence mismatch for relayer key relayer")
	require.Equal(t, int64(640_000), e.balance(acme, "bob", voucher), "each packet minted once")
	require.Equal(t, int64(640_000), e.balance(dev.home, escrow, "uself"))
	for seq := 2; seq <= 5; seq++ {
		require.True(t, e.received(acme, "client-0", seq), "packet %d received on acme", seq)
	}

	// Timeout: the relayer is down past the packet's timeout; once back, it
	// proves the packet was never received and alice is refunded on the devnet.
	e.c("relay", "stop", "acme", "--to", cp)
	e.transfer(dev.home, "alice", "client-0", bob, "7000uself", "--timeout", "5s")
	aliceBal -= cliFee
	require.Equal(t, aliceBal-7000, e.balance(dev.home, "alice", "uself"))
	time.Sleep(7 * time.Second) // both chains' block times pass the timeout
	e.c("relay", "acme", "--to", cp)
	waitUntil(t, "alice is refunded", 60*time.Second, func() bool {
		return e.balance(dev.home, "alice", "uself") == aliceBal && e.pendingCount(dev.home, "client-0") == 0
	})
	require.False(t, e.received(acme, "client-0", 6), "the timed-out packet never reached acme")
	require.Equal(t, int64(640_000), e.balance(acme, "bob", voucher))
	require.Equal(t, int64(640_000), e.balance(dev.home, escrow, "uself"))
	require.Contains(t, logText(), " timeout 6 ")

	// Two relayers at once, each with its own keys: both see the same pending
	// packets; each is delivered once, and the slower one says so and carries on.
	e.c("relay", "stop", "acme", "--to", cp)
	e.sd("--home", acme, "keys", "add", "relayer2")
	e.sd("--home", dev.home, "keys", "add", "relayer2")
	e.sd("--home", acme, "tx", "bank", "send", "treasury", e.addr(acme, "relayer2"), "10000000uacme", "--wait", "--yes")
	e.sd("--home", dev.home, "tx", "bank", "send", "faucet", e.addr(dev.home, "relayer2"), "10000000uself", "--wait", "--yes")
	sendAll("1000uself")
	second := e.background("relay", "acme", "--to", cp, "--foreground", "--key", "relayer2")
	e.c("relay", "acme", "--to", cp) // starts at once; returns 1.5s later
	waitUntil(t, "both relayers deliver everything", 60*time.Second, func() bool {
		return e.pendingCount(dev.home, "client-0") == 0
	})
	require.Equal(t, int64(644_000), e.balance(acme, "bob", voucher), "each packet minted once")
	require.Equal(t, int64(644_000), e.balance(dev.home, escrow, "uself"))
	both := logText() + second.out.String()
	collided := false
	for _, l := range strings.Split(both, "\n") {
		if strings.Contains(l, "already received") || strings.Contains(l, "already settled") {
			t.Logf("collision: %s", l)
			collided = true
		}
	}
	require.True(t, collided, "both relayers saw the same packets at once: one must have found them already received")
	second.interrupt(t)

	// A burst while the relayer is down: 40 packets, delivered in batches of at
	// most 31 (the first behind a client update) and acknowledged.
	e.c("relay", "stop", "acme", "--to", cp)
	var wg sync.WaitGroup
	for _, s := range senders[1:] {
		wg.Add(1)
		go func(s string) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				e.transfer(dev.home, s, "client-0", bob, "100uself")
			}
		}(s)
	}
	wg.Wait()
	require.Equal(t, 40, e.pendingCount(dev.home, "client-0"))
	t1 := time.Now()
	e.c("relay", "acme", "--to", cp)
	waitUntil(t, "the burst is delivered and acknowledged", 90*time.Second, func() bool {
		return e.pendingCount(dev.home, "client-0") == 0
	})
	took := time.Since(t1)
	t.Logf("burst: 40 transfers delivered and acknowledged in %s (%.1f/s, relayer start included)", took.Round(100*time.Millisecond), 40/took.Seconds())
	require.Contains(t, logText(), "recv 11-41 (31)")
	burstLog := logText()
	for _, l := range strings.Split(burstLog[strings.Index(burstLog, "recv 11-"):], "\n") {
		if l != "" {
			t.Logf("burst: %s", l)
		}
	}
	require.Equal(t, int64(648_000), e.balance(acme, "bob", voucher))
	require.Equal(t, int64(648_000), e.balance(dev.home, escrow, "uself"))

	// status shows the bridge: clients, nothing pending, the relayer's funds.
	st := e.c("status", "acme")
	require.Contains(t, st, "BRIDGE acme <-> "+cp)
	require.Contains(t, st, "active")
	require.Regexp(t, `relayer running, pid \d+`, st)
	var js struct {
		Verdict string `json:"verdict"`
		Bridges []struct {
			Counterparty string `json:"counterparty"`
			RelayerPID   int    `json:"relayer_pid"`
			Sides        struct {
				A, B struct {
					ClientStatus string `json:"client_status"`
					ClientHeight uint64 `json:"client_height"`
					Pending      int    `json:"pending"`
					Balance      string `json:"relayer_balance"`
				}
			} `json:"sides"`
		} `json:"bridges"`
	}
	require.NoError(t, json.Unmarshal([]byte(e.c("status", "acme", "--output", "json")), &js))
	require.NotEmpty(t, js.Verdict, "the chain's own status is still there")
	require.Len(t, js.Bridges, 1)
	b := js.Bridges[0]
	require.Equal(t, cp, b.Counterparty)
	require.NotZero(t, b.RelayerPID)
	for _, side := range []struct {
		ClientStatus string `json:"client_status"`
		ClientHeight uint64 `json:"client_height"`
		Pending      int    `json:"pending"`
		Balance      string `json:"relayer_balance"`
	}{b.Sides.A, b.Sides.B} {
		require.Equal(t, "active", side.ClientStatus)
		require.NotZero(t, side.ClientHeight)
		require.Zero(t, side.Pending)
		require.NotEmpty(t, side.Balance)
	}
	rs := e.c("relay", "status", "acme", "--to", cp)
	require.Contains(t, rs, "BRIDGE acme <-> "+cp)
	require.Contains(t, rs, "last lines of")
	require.Contains(t, e.c("relay", "logs", "acme", "--to", cp, "-n", "200"), "recv 11-41 (31)")

	// Clients are kept fresh by chain time, and an expired one is refused in
	// plain words. A second bridge to the same devnet, its clients trusting for
	// 30 s: the relayer refreshes each when 10 s are left; stopped for longer,
	// the clients expire, and once back it says to recover them instead of
	// failing batch after batch.
	e.c("relay", "stop", "acme", "--to", cp)
	out = e.c(append([]string{"bridge", "acme", "--to-name", "devnet2", "--trusting-period", "30s"}, to...)...)
	require.Contains(t, out, "created client-1 on acme")
	require.Contains(t, out, "created client-1 on devnet2")
	e.c("relay", "acme", "--to", "devnet2")
	log2 := func() string {
		bz, _ := os.ReadFile(filepath.Join(e.home, "acme", "logs", "relay-devnet2.log"))
		return string(bz)
	}
	waitUntil(t, "the relayer refreshes both clients", 45*time.Second, func() bool {
		return strings.Count(log2(), "refreshed to height") >= 2
	})
	e.c("relay", "stop", "acme", "--to", "devnet2")
	waitUntil(t, "the unrefreshed clients expire", 45*time.Second, func() bool {
		return strings.Count(e.c("relay", "status", "acme", "--to", "devnet2"), " expired ") == 2
	})
	e.c("relay", "acme", "--to", "devnet2")
	waitUntil(t, "the relayer refuses the expired clients", 20*time.Second, func() bool {
		return strings.Contains(log2(), "expired at") && strings.Contains(log2(), "recover-client")
	})
	e.c("relay", "stop", "acme", "--to", "devnet2")
	for _, l := range strings.Split(log2(), "\n") {
		if strings.Contains(l, "refreshed") || strings.Contains(l, "error:") {
			t.Logf("devnet2: %s", l)
		}
	}
	t.Logf("TestBridgeRelay took %s", time.Since(start).Round(time.Second))
}

func readPIDFile(path string) (int, bool) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(bz)))
	return pid, err == nil && pid > 0
}

// checkDashboardBridge: the dashboard over this home shows acme's bridge (both
// clients, the relayer running) and meters the packet acme sent.
func checkDashboardBridge(t *testing.T, home, cp string) {
	t.Helper()
	srv, err := dashboard.New(dashboard.Options{Home: home, Token: dashboard.NewToken(), Logf: t.Logf})
	require.NoError(t, err)
	srv.Poll(context.Background())
	get := func(path string) string {
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		require.Equal(t, 200, w.Code, "%s: %s", path, w.Body.String())
		return w.Body.String()
	}
	page := get("/chains/acme")
	for _, want := range []string{"acme ↔ " + cp, "client-0", "relayer running", "uacme"} {
		require.Contains(t, page, want)
	}
	require.Contains(t, get("/chains/acme/bridges/"+cp), "Relayer log")
	var usage struct {
		Usage []struct {
			BridgePackets int64 `json:"bridge_packets"`
			Txs           int64 `json:"txs"`
		} `json:"usage"`
	}
	require.NoError(t, json.Unmarshal([]byte(get("/usage.json?chain=acme")), &usage))
	require.NotEmpty(t, usage.Usage)
	var packets, txs int64
	for _, u := range usage.Usage {
		packets, txs = packets+u.BridgePackets, txs+u.Txs
	}
	require.Equal(t, int64(1), packets, "acme sent one packet so far")
	require.Positive(t, txs)
}
