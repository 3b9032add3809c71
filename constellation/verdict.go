package constellation

import (
	"fmt"
	"strings"
	"time"
)

// Verdicts of a chain's health.
const (
	VerdictOK       = "ok"
	VerdictDegraded = "degraded"
	VerdictHalted   = "halted"
)

// lagBlocks behind the highest node make a node "lagging".
const lagBlocks = 3

// missingWindow commits a validator must all miss to count as missing: one
// absent signature happens to a healthy node that was a little late.
const missingWindow = 3

// verdictRules is what a verdict needs besides the collected status: the
// chain's name and client home (reasons quote the commands that help), how
// long without a block means halted, and the time the status was taken. The
// clock is an input so that judge stays a pure function a table test can drive.
type verdictRules struct {
	chain      string
	clientHome string
	stall      time.Duration
	now        time.Time
}

// verdictRules of this chain at now: no block for 10 block times (at least
// 5 s, so a fast chain is not called halted over one slow round) is a halt.
func (c *Chain) verdictRules(now time.Time) verdictRules {
	return verdictRules{chain: c.Spec.Name, clientHome: c.ClientHome(),
		stall: max(10*c.Spec.BlockTime.Duration, 5*time.Second), now: now}
}

// judge gives the verdict on a collected status and its reasons, one sentence
// each: halted when nothing answers or blocks stopped; degraded when the chain
// makes blocks but something is off (a node down, lagging or crash looping,
// validator power missing from commits, a node's validator out of x/poai's
// active set, rounds above 0, missing peers, no supervisor); ok otherwise.
func judge(st *ChainStatus, r verdictRules) (verdict string, reasons []string) {
	reasons = []string{} // an ok chain's JSON says "reasons": [], not null (docs/CLI.md, Output)
	add := func(f string, a ...any) { reasons = append(reasons, fmt.Sprintf(f, a...)) }
	reachable := 0
	for _, n := range st.Nodes {
		if n.Reachable {
			reachable++
		}
	}
	switch age := r.now.Sub(st.LastBlockTime); {
	case reachable == 0 && st.Supervisor == 0:
		add("the chain is not running: start it with `constellation up %s`", r.chain)
		return VerdictHalted, reasons
	case reachable == 0:
		verdict = VerdictHalted
		add("no node answers on its RPC port")
	case st.Height > 0 && resumedAfter(st) && r.now.Sub(resumedAt(st)) <= r.stall:
		// The nodes started after the last block (`constellation up` after a
		// stop): the time the chain was down is not a halt; give them the stall
		// time to reconnect and make the next block.
		verdict = VerdictDegraded
		add("resuming: no block yet since the nodes started %s ago (last block at height %d, %s before that)",
			r.now.Sub(resumedAt(st)).Round(time.Second), st.Height, resumedAt(st).Sub(st.LastBlockTime).Round(time.Second))
	case st.Height > 0 && resumedAfter(st):
		verdict = VerdictHalted
		add("no block since the nodes started %s ago (last at height %d): see `constellation logs %s <node>`", r.now.Sub(resumedAt(st)).Round(time.Second), st.Height, r.chain)
	case st.Height > 0 && age > r.stall:
		verdict = VerdictHalted
		add("no block for %s (last at height %d): see `constellation logs %s <node>`", age.Round(time.Second), st.Height, r.chain)
	}
	for _, n := range st.Nodes {
		switch {
		case n.Failed != "":
			add("%s is crash-looping: %s (see `constellation logs %s %s`)", n.Name, n.Failed, r.chain, n.Name)
		case !n.Running && st.Supervisor != 0:
			add("%s is not running (the supervisor restarts it)", n.Name)
		case !n.Running:
			add("%s is not running", n.Name)
		case !n.Reachable:
			add("%s does not answer on %s", n.Name, n.RPC)
		case n.CatchingUp:
			add("%s is catching up (height %d of %d)", n.Name, n.Height, st.Height)
		case st.Height-n.Height > lagBlocks:
			add("%s is %d blocks behind", n.Name, st.Height-n.Height)
		}
		if n.Reachable && n.Round > 0 {
			add("%s is at round %d of its height: a proposal or votes were late", n.Name, n.Round)
		}
		if n.Reachable && len(st.Nodes) > 1 && n.Peers < len(st.Nodes)-1 {
			add("%s has %d of %d peers", n.Name, n.Peers, len(st.Nodes)-1)
		}
	}
	if st.MissingPower > 0 {
		var who []string
		for _, v := range st.Validators {
			if !v.Signing && v.Power > 0 {
				who = append(who, orDefault(v.Name, v.Address))
			}
		}
		add("validator power %d of %d missing from the last %d commits (%s)", st.MissingPower, st.TotalPower, missingWindow, strings.Join(who, ", "))
	}
	// Our nodes' validators with power 0: x/poai took them out of CometBFT's set.
	for _, v := range st.Validators {
		switch {
		case v.Name == "" || v.Power > 0:
		case v.Tombstoned:
			add("%s's validator is jailed by x/poai for good (tombstoned after a double sign): it needs a new consensus key and create-validator", v.Name)
		case v.Jailed:
			add("%s's validator is jailed by x/poai until height %d (reputation %s): after that, `selfchaind --home %s tx poai unjail %s --gas auto --wait`", v.Name, v.JailedUntil, v.Reputation, r.clientHome, v.Name+operatorSuffix)
		default:
			add("%s's validator is not in the active set (x/poai status %s, reputation %s)", v.Name, orDefault(v.PoAIStatus, "unknown"), orDefault(v.Reputation, "unknown"))
		}
	}
	if st.Supervisor == 0 && reachable > 0 {
		add("no supervisor: crashed nodes will not be restarted (`constellation down %s` then `up`)", r.chain)
	}
	switch {
	case verdict != "":
	case len(reasons) > 0:
		verdict = VerdictDegraded
	default:
		verdict = VerdictOK
	}
	return verdict, reasons
}

// resumedAt is when the chain's running nodes were (re)started: the earliest
// start among them, so one node restarted into a chain halted long ago does not
// hide the halt. Zero when no start time is known.
func resumedAt(st *ChainStatus) time.Time {
	var t time.Time
	for _, n := range st.Nodes {
		if n.Running && !n.StartedAt.IsZero() && (t.IsZero() || n.StartedAt.Before(t)) {
			t = n.StartedAt
		}
	}
	return t
}

// resumedAfter: every running node started after the last block.
func resumedAfter(st *ChainStatus) bool {
	t := resumedAt(st)
	return !t.IsZero() && t.After(st.LastBlockTime)
}
