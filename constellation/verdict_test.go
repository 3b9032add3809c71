package constellation

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// judge is a pure function of the status: each case is a status and what the
// verdict must say about it.
func TestVerdict(t *testing.T) {
	c := &Chain{Dir: "/home/acme", Spec: testSpec("acme", 2)}
	c.Spec.Defaults()
	now := time.Now()
	up := func(name string, h int64) NodeStatus {
		return NodeStatus{Name: name, Running: true, Reachable: true, Height: h, Peers: 1, LastBlockTime: now}
	}
	two := func() []NodeStatus { return []NodeStatus{up("node1", 10), up("node2", 10)} }
	for _, tc := range []struct {
		name    string
		st      ChainStatus
		verdict string
		// reasons, when set, must be exactly the reasons; n, when > 0, their number;
		// first are in the first reason, all in one of them.
		reasons []string
		n       int
		first   []string
		all     []string
	}{
		{name: "healthy", verdict: VerdictOK,
			st: ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now, Nodes: two()}},
		{name: "node down, its power missing", verdict: VerdictDegraded,
			st: ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now, MissingPower: 10, TotalPower: 20,
				Validators: []ValidatorStatus{{Name: "node2", Power: 10}}, Nodes: []NodeStatus{func() NodeStatus { n := up("node1", 10); n.Peers = 0; return n }(), {Name: "node2"}}},
			all: []string{"node2 is not running (the supervisor restarts it)", "power 10 of 20 missing from the last 3 commits (node2)", "node1 has 0 of 1 peers"}},
		// A node's validator that x/poai jailed (power 0 at CometBFT) or left out of
		// the active set: degraded, saying why and how to unjail.
		{name: "validator jailed by x/poai", verdict: VerdictDegraded, n: 1,
			st: ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now, Nodes: two(),
				Validators: []ValidatorStatus{{Name: "node1", Power: 10, Signing: true, Reputation: "1.000000", PoAIStatus: "bonded"},
					{Name: "node2", Jailed: true, JailedUntil: 700, Reputation: "0.800000", PoAIStatus: "unbonding"}}},
			first: []string{"node2's validator is jailed by x/poai until height 700", "tx poai unjail node2-operator", "--home " + c.ClientHome()}},
		{name: "validator outside the active set", verdict: VerdictDegraded,
			st: ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now, Nodes: two(),
				Validators: []ValidatorStatus{{Name: "node1", Power: 10, Signing: true, Reputation: "1.000000", PoAIStatus: "bonded"},
					{Name: "node2", JailedUntil: 700, Reputation: "0.800000", PoAIStatus: "unbonding"}}},
			reasons: []string{"node2's validator is not in the active set (x/poai status unbonding, reputation 0.800000)"}},
		{name: "validator tombstoned", verdict: VerdictDegraded,
			st: ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now, Nodes: two(),
				Validators: []ValidatorStatus{{Name: "node2", Jailed: true, Tombstoned: true}}},
			reasons: []string{"node2's validator is jailed by x/poai for good (tombstoned after a double sign): it needs a new consensus key and create-validator"}},
		{name: "validator of no node of ours with power 0 is not ours to explain", verdict: VerdictOK,
			st: ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now, Nodes: two(),
				Validators: []ValidatorStatus{{Address: "CC", Jailed: true}}}},
		{name: "no block for a minute", verdict: VerdictHalted,
			st:  ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now.Add(-time.Minute), Nodes: two()},
			all: []string{"no block for 1m0s (last at height 10): see `constellation logs acme <node>`"}},
		// `constellation up` after a stop: the nodes started after the last block.
		{name: "resuming after a stop", verdict: VerdictDegraded,
			st:      ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now.Add(-29 * time.Minute), Nodes: startedAt(two(), now.Add(-2*time.Second), now.Add(-time.Second))},
			reasons: []string{"resuming: no block yet since the nodes started 2s ago (last block at height 10, 28m58s before that)"}},
		{name: "resumed but no block since", verdict: VerdictHalted,
			st:  ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now.Add(-29 * time.Minute), Nodes: startedAt(two(), now.Add(-time.Minute), now.Add(-time.Minute))},
			all: []string{"no block since the nodes started 1m0s ago (last at height 10): see `constellation logs acme <node>`"}},
		{name: "one node restarted into a halted chain", verdict: VerdictHalted,
			st:  ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now.Add(-time.Minute), Nodes: startedAt(two(), now.Add(-time.Hour), now.Add(-time.Second))},
			all: []string{"no block for 1m0s (last at height 10): see `constellation logs acme <node>`"}},
		{name: "not running", verdict: VerdictHalted, n: 1,
			st:    ChainStatus{Nodes: []NodeStatus{{Name: "node1"}, {Name: "node2"}}},
			first: []string{"constellation up acme"}},
		{name: "supervisor up, no node answers", verdict: VerdictHalted,
			st:  ChainStatus{Supervisor: 1, Nodes: []NodeStatus{{Name: "node1", Running: true, RPC: "tcp://127.0.0.1:1"}, {Name: "node2", Failed: "exit status 1"}}},
			all: []string{"no node answers on its RPC port", "node1 does not answer on tcp://127.0.0.1:1", "node2 is crash-looping: exit status 1 (see `constellation logs acme node2`)"}},
		{name: "lagging, catching up, late round", verdict: VerdictDegraded,
			st: ChainStatus{Supervisor: 1, Height: 10, LastBlockTime: now, Nodes: []NodeStatus{
				func() NodeStatus { n := up("node1", 10); n.Round = 2; n.Peers = 2; return n }(),
				func() NodeStatus { n := up("node2", 6); n.Peers = 2; return n }(),
				func() NodeStatus { n := up("node3", 2); n.CatchingUp = true; n.Peers = 2; return n }()}},
			reasons: []string{"node1 is at round 2 of its height: a proposal or votes were late", "node2 is 4 blocks behind", "node3 is catching up (height 2 of 10)"}},
		{name: "no supervisor", verdict: VerdictDegraded,
			st:      ChainStatus{Height: 10, LastBlockTime: now, Nodes: []NodeStatus{up("node1", 10), {Name: "node2"}}},
			reasons: []string{"node2 is not running", "no supervisor: crashed nodes will not be restarted (`constellation down acme` then `up`)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.st
			verdict, reasons := judge(&st, c.verdictRules(now))
			require.Equal(t, tc.verdict, verdict, reasons)
			if tc.reasons != nil {
				require.Equal(t, tc.reasons, reasons)
			}
			if tc.n > 0 {
				require.Len(t, reasons, tc.n, reasons)
			}
			for _, s := range tc.first {
				require.Contains(t, reasons[0], s)
			}
			for _, s := range tc.all {
				require.Contains(t, strings.Join(reasons, "\n"), s)
			}
			if tc.verdict == VerdictOK {
				require.Empty(t, reasons)
				st.Reasons = reasons
				bz, err := json.Marshal(&st)
				require.NoError(t, err)
				require.Contains(t, string(bz), `"reasons":[]`, "a list is [] in JSON, never null")
			}
		})
	}
}

// startedAt sets the nodes' process start times, in order.
func startedAt(nodes []NodeStatus, at ...time.Time) []NodeStatus {
	for i := range nodes {
		nodes[i].StartedAt = at[i]
	}
	return nodes
}
