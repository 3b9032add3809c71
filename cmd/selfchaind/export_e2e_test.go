package main

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/cosmos/gogoproto/proto"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/permissions"
	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/registry"
)

// A chain runs txs of bank, registry and permissions, stops; `selfchaind
// export` refuses while it runs and exports once stopped; a new chain (new
// home, same validator key) starts from the export and answers the queries as
// the source did at the exported height; `selfchaind rollback` then takes the
// source back one height, and restarted it re-executes that block to the same
// app hash and goes on.
func TestExportStartNewChainAndRollback(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two chains")
	}
	start := time.Now()
	net := network.New(t, network.Config{Validators: []network.ValidatorConfig{{}}, ModifyGenesisDoc: network.VoteExtensionsFrom(1)})
	src := &cli{t: t, bin: net.Bin, home: net.Nodes[0].Home}
	if err := net.WaitForHeight(2, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	accs := net.Accounts
	broadcast := func(tx []byte) {
		t.Helper()
		res, err := net.BroadcastTx(0, tx, true)
		if err == nil {
			err = res.Err()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	broadcast(testutil.Send(accs[0], accs[1].Addr, 1234, testutil.TxOpts{Fee: types.Coins{types.NewCoin("uself", 10)}}))
	broadcast(testutil.SignTx(accs[2], testutil.TxOpts{Gas: 400_000}, testutil.RegisterNodeMsg(accs[2].Addr, "export-e2e-node")))
	pub := accs[3].Key.PubKey()
	broadcast(testutil.SignTx(accs[3], testutil.TxOpts{}, &permissions.MsgRegisterApp{
		Owner: accs[3].Addr.String(), Id: "notes", Name: "Notes", Homepage: "https://notes.example",
		PubKeys: []types.PubKey{{Type: pub.Type(), Key: pub.Bytes()}}, Scopes: []string{"storage:read", "bank:send"},
		Deposit: types.Coins{types.NewCoin("uself", permissions.DefaultMinDeposit)},
	}))
	broadcast(testutil.SignTx(accs[0], testutil.TxOpts{}, &permissions.MsgGrant{
		User: accs[0].Addr.String(), AppId: "notes", Scopes: []string{"storage:read"}, ExpiryHeight: 100_000,
	}))

	src.fails("is locked by another process: is a node already running from this home?", "export")
	if err := net.Stop(0); err != nil {
		t.Fatal(err)
	}
	genPath := filepath.Join(t.TempDir(), "exported.json")
	_, errOut, ok := src.run("export", "--output-document", genPath)
	if !ok {
		t.Fatalf("export: %s", errOut)
	}
	m := regexp.MustCompile(`exported height (\d+), app hash ([0-9A-F]+)`).FindStringSubmatch(errOut)
	if m == nil || regexp.MustCompile(`warning`).MatchString(errOut) {
		t.Fatalf("export says %q", errOut)
	}
	h, _ := strconv.ParseInt(m[1], 10, 64)
	again := src.must("export", "--height", m[1])
	if first, _ := os.ReadFile(genPath); string(first) != again {
		t.Fatal("two exports of the same height differ")
	}
	src.fails("is not committed yet", "export", "--height", strconv.FormatInt(h+100, 10))
	// Under a new chain id the proofs of possession must be signed again: said, not hidden.
	if _, errOut, ok := src.run("export", "--new-chain-id", "other-2"); !ok || !regexp.MustCompile(`does not validate yet: .*consensus_key_proof`).MatchString(errOut) {
		t.Fatalf("export --new-chain-id: ok=%v, stderr %q", ok, errOut)
	}

	// Roll the source back one height, and restart it: it executes block h again.
	out := src.must("rollback", "-o", "json")
	if !regexp.MustCompile(`"height":"` + strconv.FormatInt(h-1, 10) + `"`).MatchString(out) {
		t.Fatalf("rollback says %s, want height %d", out, h-1)
	}
	if err := net.Start(0); err != nil {
		t.Fatal(err)
	}

	// The new chain: a new home holding the same validator key, the exported genesis.
	home := filepath.Join(t.TempDir(), "new")
	for _, f := range []string{"config.toml", "app.toml", "client.toml", "priv_validator_key.json", "node_key.json"} {
		copyFile(t, filepath.Join(src.home, "config", f), filepath.Join(home, "config", f))
	}
	copyFile(t, genPath, filepath.Join(home, "config", "genesis.json"))
	if err := os.MkdirAll(filepath.Join(home, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "data", "priv_validator_state.json"), []byte(`{"height":"0","round":0,"step":0}`), 0o600); err != nil {
		t.Fatal(err)
	}
	(&cli{t: t, bin: net.Bin, home: home}).must("genesis", "validate")
	rpc := "tcp://127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
	dst := network.Launch(t, []network.NodeSpec{{Home: home, RPCAddress: rpc, Args: []string{
		"--rpc.laddr", rpc, "--p2p.laddr", "tcp://127.0.0.1:" + strconv.Itoa(testutil.FreePort(t)), "--p2p.persistent_peers", "",
	}}})
	if err := dst.WaitForHeight(h+2, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitForHeight(h+2, 60*time.Second); err != nil {
		t.Fatal("the rolled-back source did not go on: ", err)
	}
	// Header h+1 carries the app hash after block h: re-executed, the same as exported.
	got, err := net.AppHash(0, h)
	if err != nil {
		t.Fatal(err)
	}
	if want := m[2]; hex.EncodeToString(got) != toLower(want) {
		t.Fatalf("re-executed block %d: app hash %X, before the rollback %s", h, got, want)
	}

	// The new chain answers as the source did at h.
	ctx := context.Background()
	s, d := net.Nodes[0].Client, dst.Nodes[0].Client
	at := client.AtHeight(h)
	same := func(what string, a, b proto.Message) {
		t.Helper()
		ba, err := proto.Marshal(a)
		must(t, err)
		bb, err := proto.Marshal(b)
		must(t, err)
		if string(ba) != string(bb) {
			t.Fatalf("%s: source at %d\n%v\nnew chain\n%v", what, h, a, b)
		}
	}
	for _, acc := range accs {
		req := &bank.QueryAllBalancesRequest{Address: acc.Addr.String()}
		a, err := bank.NewQueryClient(s).AllBalances(ctx, req, at)
		must(t, err)
		b, err := bank.NewQueryClient(d).AllBalances(ctx, req)
		must(t, err)
		same("balances of "+acc.Addr.String(), a, b)
		ga, err := permissions.NewQueryClient(s).GrantsByUser(ctx, &permissions.QueryGrantsByUserRequest{User: acc.Addr.String()}, at)
		must(t, err)
		gb, err := permissions.NewQueryClient(d).GrantsByUser(ctx, &permissions.QueryGrantsByUserRequest{User: acc.Addr.String()})
		must(t, err)
		same("grants of "+acc.Addr.String(), ga, gb)
		if acc == accs[0] && len(ga.Grants) != 1 {
			t.Fatalf("source: %d grants of %s, want 1", len(ga.Grants), acc.Addr)
		}
	}
	na, err := registry.NewQueryClient(s).Nodes(ctx, &registry.QueryNodesRequest{}, at)
	must(t, err)
	nb, err := registry.NewQueryClient(d).Nodes(ctx, &registry.QueryNodesRequest{})
	must(t, err)
	if len(na.Nodes) != 1 {
		t.Fatalf("source has %d registry nodes, want 1", len(na.Nodes))
	}
	same("registry nodes", na, nb)
	aa, err := permissions.NewQueryClient(s).Apps(ctx, &permissions.QueryAppsRequest{}, at)
	must(t, err)
	ab, err := permissions.NewQueryClient(d).Apps(ctx, &permissions.QueryAppsRequest{})
	must(t, err)
	same("apps", aa, ab)
	// Validators: the same records; reputation averages move with every block, so
	// they are compared on what does not.
	va, err := poai.NewQueryClient(s).Validators(ctx, &poai.QueryValidatorsRequest{}, at)
	must(t, err)
	vb, err := poai.NewQueryClient(d).Validators(ctx, &poai.QueryValidatorsRequest{})
	must(t, err)
	if len(va.Validators) != 1 || len(vb.Validators) != 1 {
		t.Fatalf("validators: %d at the source, %d on the new chain", len(va.Validators), len(vb.Validators))
	}
	x, y := va.Validators[0], vb.Validators[0]
	if x.OperatorAddress != y.OperatorAddress || x.ConsensusKey.String() != y.ConsensusKey.String() || x.SelfStake != y.SelfStake || x.Status != y.Status || x.Moniker != y.Moniker {
		t.Fatalf("validator: source %v, new chain %v", x, y)
	}
	// CometBFT's set: the same key and power.
	vs, err := net.Nodes[0].RPC.Validators(ctx, &h, nil, nil)
	must(t, err)
	next := h + 1
	vd, err := dst.Nodes[0].RPC.Validators(ctx, &next, nil, nil)
	must(t, err)
	if len(vs.Validators) != 1 || len(vd.Validators) != 1 || !vs.Validators[0].PubKey.Equals(vd.Validators[0].PubKey) || vs.Validators[0].VotingPower != vd.Validators[0].VotingPower {
		t.Fatalf("CometBFT validators: source %v, new chain %v", vs.Validators, vd.Validators)
	}
	t.Logf("export at %d, new chain and rollback checked in %s", h, time.Since(start).Round(time.Millisecond))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func toLower(s string) string { b, _ := hex.DecodeString(s); return hex.EncodeToString(b) }

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	bz, err := os.ReadFile(from)
	must(t, err)
	must(t, os.MkdirAll(filepath.Dir(to), 0o755))
	must(t, os.WriteFile(to, bz, 0o600))
}

// On a home whose node never ran there is nothing to export or roll back: both
// say so and change nothing.
func TestExportAndRollbackOnAFreshHome(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	c := &cli{t: t, bin: buildBinary(t), home: t.TempDir()}
	c.must("init", "fresh", "--chain-id", "fresh-1")
	c.fails("store: nothing to roll back: CometBFT has no state", "rollback")
	c.fails("export: nothing is committed yet", "export")
}
