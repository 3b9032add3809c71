package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/bridge"
)

// TestBridgeRelayNodeDownManyPending: the devnet and a 4-validator ML-DSA-65 chain;
// 1,100 transfers (more than a page of 1,000 pending packets) committed on the devnet
// while no relayer runs; then acme's node1 — the first RPC the relayer knows of acme —
// is killed (its supervisor frozen, so it stays down) and the relayer starts: it
// reaches acme through the other three validators' RPCs, sends its txs to them, and
// every transfer is delivered and acknowledged exactly once.
func TestBridgeRelayNodeDownManyPending(t *testing.T) {
	const n = 1100
	e := newEnv(t)
	dev := startDevnet(t, e, "alice")
	e.c("new", "acme", "--validators", "4", "--consensus-key", "ml_dsa_65", "--denom", "uacme", "--supply", "1000000000", "--account", "bob=1000000", "--block-time", "500ms")
	e.cleanupDown("acme")
	e.c("up", "acme")
	acme := filepath.Join(e.home, "acme", "client")
	const cp = "selfchain-devnet"
	to := []string{"bridge", "acme", "--to-rpc", dev.rpc, "--to-home", dev.home}
	e.run("constellation", to...) // makes the relayer keys, then stops for want of fees
	e.sd("--home", acme, "tx", "bank", "send", "treasury", e.addr(acme, "relayer"), "100000000uacme", "--wait", "--yes")
	e.sd("--home", dev.home, "tx", "bank", "send", "faucet", e.addr(dev.home, "relayer"), "100000000uself", "--wait", "--yes")
	e.c(to...)
	bz, err := os.ReadFile(filepath.Join(e.home, "acme", "bridges", cp+".json"))
	require.NoError(t, err)
	require.Contains(t, string(bz), `"rpcs"`, "the bridge record lists acme's other nodes")
	bob := e.addr(acme, "bob")

	ctx := context.Background()
	kr, err := keyring.New("test", dev.home, nil)
	require.NoError(t, err)
	signer, err := client.NewKeyringSigner(kr, "alice")
	require.NoError(t, err)
	cl, err := client.New(dev.rpc)
	require.NoError(t, err)
	acct := &seqTracker{}
	f := client.Factory{ChainID: "selfchain-devnet-1", Gas: 3_000_000, GasPrices: "0.001uself", Accounts: acct}
	alice := signer.PubKey().Address().String()
	for sent := 0; sent < n; sent += 32 {
		var msgs []runtime.Msg
		for range min(32, n-sent) {
			msgs = append(msgs, &bridge.MsgTransfer{Sender: alice, SourceClient: "client-0", Receiver: bob, Token: types.NewCoin("uself", 1)})
		}
		plan, err := f.Prepare(ctx, cl, signer, msgs...)
		require.NoError(t, err)
		bz, err := plan.Sign(signer)
		require.NoError(t, err)
		res, err := cl.BroadcastWithTimeout(ctx, bz, false, 0)
		require.NoError(t, err)
		require.Zero(t, res.Code, res.Log)
		acct.seq++
	}
	waitUntil(t, "every transfer is committed", 120*time.Second, func() bool { return pendingAll(e, dev.home) == n })

	// node1 down for good: its supervisor frozen first, so it does not restart it.
	st := e.status("acme")
	sup, ok := readPIDFile(filepath.Join(e.home, "acme", "run", "supervisor.pid"))
	require.True(t, ok, "acme's supervisor pid")
	require.NoError(t, syscall.Kill(sup, syscall.SIGSTOP))
	t.Cleanup(func() { _ = syscall.Kill(sup, syscall.SIGCONT) }) // before `down` (cleanups run last-in first)
	require.NotZero(t, st.Nodes[0].PID)
	require.NoError(t, syscall.Kill(st.Nodes[0].PID, syscall.SIGKILL))

	t0 := time.Now()
	e.c("relay", "acme", "--to", cp)
	t.Cleanup(func() { e.run("constellation", "relay", "stop", "acme", "--to", cp) })
	waitUntil(t, "every transfer is acknowledged", 4*time.Minute, func() bool { return pendingAll(e, dev.home) == 0 })
	t.Logf("%d transfers delivered and acknowledged %s after the relayer started, with acme's node1 down", n, time.Since(t0).Round(100*time.Millisecond))
	voucher := bridge.DenomTrace{Path: "transfer/client-0", BaseDenom: "uself"}.VoucherDenom()
	acme2, err := client.New(st.Nodes[1].RPC) // node1, the client home's node, is down
	require.NoError(t, err)
	bal, err := bank.NewQueryClient(acme2).Balance(ctx, &bank.QueryBalanceRequest{Address: bob, Denom: voucher})
	require.NoError(t, err)
	require.Equal(t, uint64(n), bal.Balance.Amount.Uint64(), "each packet delivered once")
	log, err := os.ReadFile(filepath.Join(e.home, "acme", "logs", "relay-"+cp+".log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "cannot be reached: using", "the relayer says it failed over")
	for _, l := range strings.Split(string(log), "\n") {
		require.NotContains(t, l, "panic")
	}
}
