package network_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

// TestFourValidatorsStopRestart is the network's contract in one run: four
// validators (two ed25519, two ML-DSA-65; with equal power every commit needs
// three signers, so both key types sign), vote extensions on, produce blocks and commit a bank send
// broadcast over RPC; with one stopped the other three keep going; restarted on
// its home, it catches up and signs again (the chain goes on when another one is
// killed); the killed one restarts and catches up; all four committed the same
// app hashes.
func TestFourValidatorsStopRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds selfchaind and runs four validator processes")
	}
	start := time.Now()
	// Vote extensions on from the first height, as x/poai runs the chain: every
	// precommit then carries one (empty until a module fills it), signed by
	// ed25519 and ML-DSA-65 keys alike, and blocks carry extended commits.
	net := network.New(t, network.Config{ModifyGenesisDoc: network.VoteExtensionsFrom(1)})
	if net.Files.Genesis.ConsensusParams.ABCI.VoteExtensionsEnableHeight != 1 {
		t.Fatal("vote extensions not enabled in genesis")
	}
	if len(net.Nodes) != 4 || net.Nodes[0].KeyType != server.ConsensusKeyEd25519 || net.Nodes[1].KeyType != server.ConsensusKeyMlDsa65 {
		t.Fatalf("default network: want ed25519, ml_dsa_65, ed25519, ml_dsa_65 validators")
	}
	if err := net.WaitForHeight(2, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("4 nodes at height 2 after %s", time.Since(start).Round(time.Millisecond))

	// A bank send signed in-process, broadcast to node 1 and waited for.
	from, to := net.Accounts[0], net.Accounts[1]
	res, err := net.BroadcastTx(1, testutil.Send(from, to.Addr, 1234, testutil.TxOpts{}), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Height == 0 {
		t.Fatalf("tx %s not reported in a block", res.TxHash)
	}
	// Every node executed it.
	if err := net.WaitForHeight(res.Height, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	for i, n := range net.Nodes {
		bal, err := bank.NewQueryClient(n.Client).Balance(context.Background(),
			&bank.QueryBalanceRequest{Address: to.Addr.String(), Denom: app.BondDenom})
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		if want := types.NewInt(network.DefaultAccountBalance + 1234); !bal.Balance.Amount.Equal(want) {
			t.Fatalf("node %d: recipient balance %s, want %s", i, bal.Balance.Amount, want)
		}
	}

	// Stop an ML-DSA-65 validator: 30 of 40 power remain, more than 2/3.
	const stopped = 3
	if err := net.Stop(stopped); err != nil {
		t.Fatal(err)
	}
	stoppedAt, err := net.Height(0)
	if err != nil {
		t.Fatal(err)
	}
	target, err := net.WaitForNextBlocks(3, 30*time.Second)
	if err != nil {
		t.Fatalf("three validators stopped producing blocks: %v", err)
	}
	t.Logf("node %d stopped near height %d; the other three reached %d", stopped, stoppedAt, target)
	if net.Running(stopped) {
		t.Fatal("stopped node still running")
	}

	// Restarted on its home, it catches up with the others.
	if err := net.Start(stopped); err != nil {
		t.Fatal(err)
	}
	top, err := net.WaitForNextBlocks(1, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("all four at height %d after %s", top, time.Since(start).Round(time.Millisecond))

	// Crash another validator (SIGKILL): the three left include the restarted one,
	// so new blocks prove it signs again. Then it restarts from its WAL and catches up.
	if err := net.Kill(0); err != nil {
		t.Fatal(err)
	}
	if _, err := net.WaitForNextBlocks(2, 30*time.Second); err != nil {
		t.Fatalf("nodes 1-3 (with the restarted node 3) stopped producing blocks: %v", err)
	}
	if err := net.Start(0); err != nil {
		t.Fatal(err)
	}
	if top, err = net.WaitForNextBlocks(1, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("all four at height %d after a kill and restart of node 0, %s", top, time.Since(start).Round(time.Millisecond))

	// Same app hash everywhere at a height the restarted nodes executed after their
	// restarts, and at the tx's height.
	for _, h := range []int64{res.Height, top - 1} {
		want, err := net.AppHash(0, h)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("empty app hash at %d", h)
		}
		for i := 1; i < len(net.Nodes); i++ {
			got, err := net.AppHash(i, h)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("height %d: node %d app hash %X, node 0 %X", h, i, got, want)
			}
		}
	}
	if got := strings.Count(net.LogTail(stopped, 1_000_000), "=== network: starting node3"); got != 2 {
		t.Fatalf("log of the restarted node has %d start markers, want 2", got)
	}
}

// TestInitFiles checks the homes without starting anything: one genesis in
// every home with all validators and funded accounts, peers and loopback ports
// in config.toml, the test keyring and the node's RPC in client.toml.
func TestInitFiles(t *testing.T) {
	dir := t.TempDir()
	ports := []network.Ports{{P2P: 40001, RPC: 40002}, {P2P: 40011, RPC: 40012}, {P2P: 40021, RPC: 40022}}
	extra := testutil.NewAccount(99)
	var sawVals []network.ValidatorInfo
	f, err := network.InitFiles(dir, network.Config{
		ChainID: "net-files-1",
		Validators: []network.ValidatorConfig{
			{KeyType: server.ConsensusKeyMlDsa65, Power: 5},
			{ModifyAppConfig: func(c *app.Config) { c.MinGasPrices = "0.5uself" }},
			{ModifyCometConfig: func(c *cmtcfg.Config) { c.Moniker = "custom" }},
		},
		ExtraBalances: []network.Balance{{Address: extra.Addr.String(), Coins: types.Coins{types.NewCoin(app.BondDenom, 7)}}},
		ModifyGenesis: func(_ map[string]json.RawMessage, vals []network.ValidatorInfo) error {
			sawVals = vals
			return nil
		},
	}, ports)
	if err != nil {
		t.Fatal(err)
	}
	if len(sawVals) != 3 || sawVals[0].KeyType != server.ConsensusKeyMlDsa65 || sawVals[2].Operator == nil {
		t.Fatalf("ModifyGenesis saw %+v", sawVals)
	}
	gen0, err := os.ReadFile(server.GenesisPath(f.Homes[0]))
	if err != nil {
		t.Fatal(err)
	}
	for _, home := range f.Homes[1:] {
		bz, err := os.ReadFile(server.GenesisPath(home))
		if err != nil || !bytes.Equal(bz, gen0) {
			t.Fatalf("%s: genesis differs from node0's (%v)", home, err)
		}
	}
	gen := f.Genesis
	if gen.ChainID != "net-files-1" || len(gen.Validators) != 3 || gen.Validators[0].Power != 5 || gen.Validators[1].Power != server.DefaultValidatorPower {
		t.Fatalf("genesis: chain %s, validators %+v", gen.ChainID, gen.Validators)
	}
	if gen.Validators[0].PubKey.Type() != server.ConsensusKeyMlDsa65 || gen.Validators[1].PubKey.Type() != server.ConsensusKeyEd25519 {
		t.Fatalf("key types: %s, %s", gen.Validators[0].PubKey.Type(), gen.Validators[1].PubKey.Type())
	}
	state := string(gen.AppState)
	for _, a := range append(append([]*testutil.Account{}, f.Accounts...), f.Validators[0].Operator, extra) {
		if !strings.Contains(state, a.Addr.String()) {
			t.Fatalf("account %s not funded in genesis", a.Addr)
		}
	}
	if f.Accounts[3].Num != 3 || f.Validators[0].Operator.Num != 4 {
		t.Fatalf("account numbers: %d, operator %d", f.Accounts[3].Num, f.Validators[0].Operator.Num)
	}

	conf, err := server.LoadCometConfig(f.Homes[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if conf.RPC.ListenAddress != "tcp://127.0.0.1:40012" || conf.P2P.ListenAddress != "tcp://127.0.0.1:40011" {
		t.Fatalf("node1 listens on %s / %s", conf.RPC.ListenAddress, conf.P2P.ListenAddress)
	}
	for _, want := range []string{f.NodeIDs[0] + "@127.0.0.1:40001", f.NodeIDs[2] + "@127.0.0.1:40021"} {
		if !strings.Contains(conf.P2P.PersistentPeers, want) {
			t.Fatalf("node1 peers %q lack %s", conf.P2P.PersistentPeers, want)
		}
	}
	if strings.Contains(conf.P2P.PersistentPeers, f.NodeIDs[1]) || conf.Consensus.TimeoutCommit != network.DefaultBlockTime {
		t.Fatalf("node1: peers %q, timeout_commit %s", conf.P2P.PersistentPeers, conf.Consensus.TimeoutCommit)
	}
	if c2, _ := server.LoadCometConfig(f.Homes[2], nil); c2.Moniker != "custom" {
		t.Fatalf("ModifyCometConfig not applied: moniker %q", c2.Moniker)
	}
	cc, err := client.LoadConfig(f.Homes[2])
	if err != nil || cc.ChainID != "net-files-1" || cc.KeyringBackend != "test" || cc.Node != "tcp://127.0.0.1:40022" {
		t.Fatalf("node2 client.toml %+v (%v)", cc, err)
	}
	a0, err := app.LoadConfig(f.Homes[0])
	if err != nil {
		t.Fatal(err)
	}
	a1, err := app.LoadConfig(f.Homes[1])
	if err != nil {
		t.Fatal(err)
	}
	if a0.MinGasPrices != "" || a1.MinGasPrices != "0.5uself" {
		t.Fatalf("app.toml minimum-gas-prices %q / %q", a0.MinGasPrices, a1.MinGasPrices)
	}

	// A home that exists is not overwritten.
	if _, err := network.InitFiles(dir, network.Config{Validators: make([]network.ValidatorConfig, 3)}, ports); err == nil {
		t.Fatal("InitFiles over existing homes succeeded")
	}
	if _, err := network.InitFiles(t.TempDir(), network.Config{}, ports); err == nil {
		t.Fatal("4 validators with 3 port pairs accepted")
	}
}
