package poai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/poai"
)

// Network tests of Proof of AI: real selfchaind processes (testutil/network), vote
// extensions from height 1, short epochs and windows set through genesis params.

// netValidator queries validator op from node i.
func netValidator(t *testing.T, net *network.Network, i int, op string) poai.Validator {
	t.Helper()
	res, err := poai.NewQueryClient(net.Nodes[i].Client).Validator(context.Background(),
		&poai.QueryValidatorRequest{OperatorAddress: op})
	if err != nil {
		t.Fatalf("query validator %s on node %d: %v", op, i, err)
	}
	return res.Validator
}

// inCometSet says whether CometBFT's current validator set (as node i sees it)
// holds the validator with consensus address addr.
func inCometSet(t *testing.T, net *network.Network, i int, addr []byte) bool {
	t.Helper()
	res, err := net.Nodes[i].RPC.Validators(context.Background(), nil, nil, nil)
	if err != nil {
		t.Fatalf("validators from node %d: %v", i, err)
	}
	for _, v := range res.Validators {
		if bytes.Equal(v.Address, addr) {
			return true
		}
	}
	return false
}

// traffic keeps bank sends flowing from every test account through node `via`
// (one committed tx per account at a time), so the analyzers have txs to score in
// (nearly) every block. It stops when the test ends.
func traffic(t *testing.T, net *network.Network, via int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	accs := net.Accounts
	for i, acc := range accs {
		wg.Add(1)
		go func(i int, acc *testutil.Account) {
			defer wg.Done()
			to := accs[(i+1)%len(accs)].Addr
			for ctx.Err() == nil {
				res, err := net.BroadcastTx(via, testutil.Send(acc, to, 1+uint64(i), testutil.TxOpts{}), true)
				if err != nil || res.Code != 0 {
					// Resynchronise the sequence with the chain and go on.
					if _, seq, _, err := (auth.AccountRetriever{}).AccountInfo(ctx, net.Nodes[via].Client, acc.Addr); err == nil {
						acc.Seq = seq
					}
					select {
					case <-ctx.Done():
					case <-time.After(200 * time.Millisecond):
					}
				}
			}
		}(i, acc)
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// waitFor polls cond every 250 ms until it holds or timeout passes.
func waitFor(t *testing.T, net *network.Network, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			h, _ := net.Height(0)
			t.Fatalf("timed out after %s (height %d) waiting until %s", timeout, h, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Four validators: node0 and node1 honest (built-in analyzer), node2 dishonest
// (random scores), node3 with its analyzer off. Over a few 10-block epochs both
// lose reputation against the honest two, the dishonest one leaves the active set
// (max_validators 3) and blocks never stop.
//
// After Yuma clipping (kappa 0.8 here) a random scorer earns 0 agreement on every
// block with medians, the same as a validator that does not score, so on a busy
// chain the two lose reputation at about the same rate; on a block without medians
// (no txs) only the random scorer is credited. Which of the two leaves is then
// decided by stake × reputation: node3 has twice the others' stake (power 20), so
// the test shows the dishonest validator — with the honest ones' stake — voted out
// by reputation while both honest validators stay. The active set starts at 4
// (genesis would pick 3 by stake) and the params authority (node0's operator)
// shrinks it to 3 once the chain runs; 10 of 50 power leaving is within the 1/3 rule.
func TestNetworkDishonestAndOffAnalyzers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four validator processes")
	}
	t.Parallel()
	const dishonest, off = 2, 3
	analyzers := []string{"builtin", "builtin", "random-test-only", "off"}
	var vals []network.ValidatorConfig
	for i, kt := range network.DefaultKeyTypes {
		mode := analyzers[i]
		vc := network.ValidatorConfig{KeyType: kt, ModifyAppConfig: func(c *app.Config) { c.PoAI.Analyzer = mode }}
		if i == off {
			vc.Power = 20
		}
		vals = append(vals, vc)
	}
	net := network.New(t, network.Config{
		Validators:       vals,
		ModifyGenesisDoc: network.VoteExtensionsFrom(1),
		ModifyGenesis: func(appState map[string]json.RawMessage, vals []network.ValidatorInfo) error {
			return network.EditPoAIParams(appState, func(p *poai.Params) {
				// node0's operator is the params authority: it shrinks the active set
				// to 3 once the chain runs (genesis would otherwise pick 3 by stake).
				p.Authority = vals[0].Operator.Addr.String()
				p.EpochLength = 10
				p.EmaAlpha = 200_000 // 0.2: reputation moves within an epoch or two
				p.ScoreWindow = 2    // builtin models answer at once: settle each block 3 blocks later
				// kappa 0.8: a random scorer often lands just above 0.5 mean agreement
				// on a block with few txs; at 0.8 it earns nothing, like a silent one.
				p.ClipThreshold = 800_000
				p.RateLimitWindow = 0 // the traffic must keep flowing whatever it scores
				p.DowntimeWindow, p.MaxMissedBlocks = 1000, 999
			})
		},
	})
	start := time.Now()
	if err := net.WaitForHeight(2, time.Minute); err != nil {
		t.Fatal(err)
	}
	traffic(t, net, 0)

	// Active-set size 3 from the next epoch on.
	pr, err := poai.NewQueryClient(net.Nodes[0].Client).Params(context.Background(), &poai.QueryParamsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	params := pr.Params
	params.MaxValidators = 3
	authority := net.Nodes[0].Operator
	res, err := net.BroadcastTx(0, testutil.SignTx(authority, testutil.TxOpts{}, &poai.MsgUpdateParams{Authority: authority.Addr.String(), Params: params}), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("update params: %v", err)
	}
	for i := range net.Nodes {
		if !inCometSet(t, net, 0, net.Nodes[i].ConsPubKey.Address()) {
			t.Fatalf("validator %d is not in the genesis set", i)
		}
	}

	ops := make([]string, 4)
	for i, n := range net.Nodes {
		ops[i] = n.Operator.Addr.String()
	}
	addr := func(i int) []byte { return net.Nodes[i].ConsPubKey.Address() }
	waitFor(t, net, 75*time.Second, "the dishonest validator leaves the active set", func() bool {
		v := netValidator(t, net, 0, ops[dishonest])
		return v.Status != poai.STATUS_BONDED && !inCometSet(t, net, 0, addr(dishonest))
	})
	left, _ := net.Height(0)
	t.Logf("dishonest validator out of the set at height %d after %s", left, time.Since(start).Round(time.Millisecond))

	honest0, honest1 := netValidator(t, net, 0, ops[0]), netValidator(t, net, 0, ops[1])
	bad, silent := netValidator(t, net, 0, ops[dishonest]), netValidator(t, net, 0, ops[off])
	for _, h := range []poai.Validator{honest0, honest1} {
		if h.Status != poai.STATUS_BONDED || !inCometSet(t, net, 0, h.ConsensusAddress) {
			t.Fatalf("honest validator %s is not in the set: %+v", h.Moniker, h)
		}
		for _, o := range []poai.Validator{bad, silent} {
			if o.AgreementAvg >= h.AgreementAvg || o.Reputation >= h.Reputation {
				t.Fatalf("%s (agreement %d, reputation %d) did not lose reputation against honest %s (agreement %d, reputation %d)",
					o.Moniker, o.AgreementAvg, o.Reputation, h.Moniker, h.AgreementAvg, h.Reputation)
			}
		}
	}
	t.Logf("reputation (ppm): honest %d, %d; dishonest %d; off %d", honest0.Reputation, honest1.Reputation, bad.Reputation, silent.Reputation)

	// Blocks never stopped: the three remaining validators go on.
	if _, err := net.WaitForNextBlocks(3, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// Stop one of four validators: the chain goes on, its missed blocks are counted,
// after the downtime window it is jailed (and leaves CometBFT's set at once);
// restarted, it catches up, its operator (the network's funded operator account,
// which genesis names) sends MsgUnjail, and it is back in the set at the next
// epoch end.
//
// Params: a 20-block downtime window with 10 misses allowed, a 5-block jail and
// 10-block epochs keep the run short. The 1/3 rule allows the rejoin in one epoch:
// 10 of the remaining 30 power is exactly a third.
func TestNetworkDowntimeJailUnjail(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four validator processes")
	}
	t.Parallel()
	const down = 3
	net := network.New(t, network.Config{
		ModifyGenesisDoc: network.VoteExtensionsFrom(1),
		ModifyGenesis: func(appState map[string]json.RawMessage, _ []network.ValidatorInfo) error {
			return network.EditPoAIParams(appState, func(p *poai.Params) {
				p.EpochLength = 10
				p.DowntimeWindow, p.MaxMissedBlocks = 20, 10
				p.JailDuration = 5
			})
		},
	})
	start := time.Now()
	if err := net.WaitForHeight(3, time.Minute); err != nil {
		t.Fatal(err)
	}
	op := net.Nodes[down].Operator
	addr := net.Nodes[down].ConsPubKey.Address()
	if v := netValidator(t, net, 0, op.Addr.String()); v.Status != poai.STATUS_BONDED || v.Jailed {
		t.Fatalf("validator %d before the stop: %+v", down, v)
	}
	if err := net.Stop(down); err != nil {
		t.Fatal(err)
	}
	stoppedAt, _ := net.Height(0)

	// Missed blocks are counted, then the validator is jailed and leaves the set.
	var maxMissed uint32
	waitFor(t, net, 60*time.Second, "the stopped validator is jailed", func() bool {
		v := netValidator(t, net, 0, op.Addr.String())
		maxMissed = max(maxMissed, v.MissedBlocks)
		return v.Jailed
	})
	jailed := netValidator(t, net, 0, op.Addr.String())
	if maxMissed == 0 {
		t.Fatalf("no missed block was ever counted before the jail: %+v", jailed)
	}
	jailHeight, _ := net.Height(0)
	// Its power-0 update goes out in the jailing block; CometBFT applies it two
	// heights later.
	waitFor(t, net, 10*time.Second, "the jailed validator leaves CometBFT's set", func() bool { return !inCometSet(t, net, 0, addr) })
	if out, _ := net.Height(0); out > jailHeight+4 {
		t.Fatalf("jailed by height %d, out of CometBFT's set only at height %d", jailHeight, out)
	}
	h, _ := net.Height(0)
	t.Logf("stopped at height %d, jailed by height %d (missed counted up to %d), jailed until %d, after %s",
		stoppedAt, h, maxMissed, jailed.JailedUntil, time.Since(start).Round(time.Millisecond))

	// Restart it; it catches up; its operator unjails it once the jail is over.
	if err := net.Start(down); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitForHeight(max(h, jailed.JailedUntil)+1, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	res, err := net.BroadcastTx(0, testutil.SignTx(op, testutil.TxOpts{}, &poai.MsgUnjail{OperatorAddress: op.Addr.String()}), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("unjail: %v", err)
	}
	// Back in the set at the next epoch end (10 blocks at most).
	waitFor(t, net, 30*time.Second, "the unjailed validator is back in the set", func() bool {
		v := netValidator(t, net, 0, op.Addr.String())
		return !v.Jailed && v.Status == poai.STATUS_BONDED && inCometSet(t, net, 0, addr)
	})
	back, _ := net.Height(0)
	// The next epoch end is at most 10 blocks away and CometBFT applies its update two
	// heights later; a few more for the polling on a loaded machine.
	if back > res.Height+10+2+4 {
		t.Fatalf("unjailed at height %d but back only at height %d (epochs are 10 blocks)", res.Height, back)
	}
	t.Logf("unjailed at height %d, back in the set by height %d, after %s", res.Height, back, time.Since(start).Round(time.Millisecond))
	if _, err := net.WaitForNextBlocks(2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}
