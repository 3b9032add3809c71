package agent

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfchain/selfchain/backup/holder"
	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/types"
)

// syncBuffer is a log sink shared by a holder goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func uself(n uint64) types.Coin { return types.NewCoin("uself", n) }

func repairTerms() onchain.Terms {
	return onchain.Terms{Quota: 1 << 30, Price: uself(5), Escrow: uself(500), Collateral: uself(1000), NoticeEpochs: 2}
}

// market registers candidate nodes: a and b hold agreements 1 and 2, c and
// d are free (d scores higher), e has too little space, f belongs to the
// owner. d and c run real holder daemons with an auto-accept policy.
func (e *testEnv) market(t *testing.T, policy holder.AcceptPolicy) (map[string]*testHolder, map[string]*syncBuffer) {
	t.Helper()
	e.chain.Owner = e.keys.Owner
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	hs := map[string]*testHolder{}
	logs := map[string]*syncBuffer{}
	for _, h := range e.holders {
		e.chain.AddNode(onchain.Candidate{NodeID: h.node, Operator: "op-" + h.node, URL: h.http.URL, Capacity: 1 << 40, ScorePPM: 1_000_000})
	}
	for _, c := range []struct {
		node  string
		score uint32
	}{{"node-c", 990_000}, {"node-d", 999_500}} {
		logs[c.node] = &syncBuffer{}
		h := e.startHolder(t, c.node, logs[c.node])
		hs[c.node] = h
		e.chain.AddNode(onchain.Candidate{NodeID: c.node, Operator: "op-" + c.node, URL: h.http.URL, Capacity: 1 << 40, ScorePPM: c.score, Answered: 200, Missed: 1})
		x := h.srv.NewAutoAccepter(e.chain, policy)
		wg.Add(1)
		go func() { defer wg.Done(); x.Run(ctx, 10*time.Millisecond) }()
	}
	e.chain.AddNode(onchain.Candidate{NodeID: "node-e", Operator: "op-e", URL: "http://127.0.0.1:1", Capacity: 1 << 20, ScorePPM: 1_000_000})
	e.chain.AddNode(onchain.Candidate{NodeID: "node-f", Operator: e.keys.Owner, URL: "http://127.0.0.1:1", Capacity: 1 << 40, ScorePPM: 1_000_000})
	return hs, logs
}

func policy() holder.AcceptPolicy {
	return holder.AcceptPolicy{MinPrice: uself(5), MaxQuota: 2 << 30, MaxCollateral: uself(5000), MinEscrowEpochs: 10}
}

// Agreement 1 fails; with --replicas 2 the repair proposes to the most
// reliable free node that is neither the owner's nor already holding, its
// daemon accepts by policy, the backup is copied there, and a fresh machine
// restores from the new holder alone. A second repair has nothing to do.
func TestRepairReplacesFailedHolderWithoutAHuman(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 2, 1<<30)
	hs, logs := e.market(t, policy())
	src := t.TempDir()
	writeTree(t, src)
	a := e.agent(t, 0, 1)
	if _, err := a.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	failed, _ := e.chain.Agreement(ctx, 1)
	failed.Status = onchain.StatusFailed
	e.chain.Put(failed)

	var out bytes.Buffer
	a.Out = &out
	r, err := a.Repair(ctx, RepairOptions{Replicas: 2, Terms: repairTerms(), Market: e.chain, Poll: 10 * time.Millisecond, Wait: 10 * time.Second})
	if err != nil {
		t.Fatalf("repair: %v\n%s", err, out.String())
	}
	if len(r.Proposals) != 1 || r.Proposals[0].Node != "node-d" || r.Proposals[0].Outcome != "accepted, copied" || len(r.Replicated) != 1 {
		t.Fatalf("repair result %+v\n%s", r, out.String())
	}
	id := r.Proposals[0].Agreement
	if len(r.Agreements) != 2 || r.Agreements[0] != 2 || r.Agreements[1] != id {
		t.Fatalf("agreements to use %v, want [2 %d]", r.Agreements, id)
	}
	for _, want := range []string{"1 of 2 wanted holders are healthy (agreement 1 is failed)", "not asking node node-a already holds, was offered, failed or rejected",
		"not asking node node-e has 1048576 bytes free, under --quota", "not asking node node-f is yours",
		"proposing to node node-d (reliability 99.9500% (200 answered, 1 missed, 0 failed)", "price 5uself per epoch, escrow 500uself, collateral 1000uself",
		"node node-d accepted agreement", "use --agreements 2,"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(logs["node-d"].String(), "backup proposal accepted automatically") {
		t.Errorf("holder d did not log its acceptance:\n%s", logs["node-d"].String())
	}
	g, _ := e.chain.Agreement(ctx, id)
	g2, _ := e.chain.Agreement(ctx, 2)
	if g.Status != onchain.StatusActive || g.Revision != 1 || !bytes.Equal(g.Root, g2.Root) || g.Collateral.String() != "1000uself" {
		t.Fatalf("new agreement %+v, holder 2's root %x", g, g2.Root)
	}
	if p, _ := e.chain.Agreement(ctx, 1); p.Status != onchain.StatusFailed {
		t.Fatalf("agreement 1 changed: %+v", p)
	}

	// A fresh machine restores from the new holder alone.
	e.repoDir = t.TempDir()
	b := e.agent(t)
	b.Targets = []Target{{Agreement: id, URL: hs["node-d"].http.URL}}
	dst := t.TempDir()
	if _, err := b.Restore(ctx, "latest", dst); err != nil {
		t.Fatal(err)
	}
	sameTree(t, src, dst)

	// The agent now names the healthy ones: nothing to do, nothing proposed.
	out.Reset()
	r, err = a.Repair(ctx, RepairOptions{Replicas: 2, Terms: repairTerms(), Market: e.chain, Poll: 10 * time.Millisecond})
	if err != nil || len(r.Proposals) != 0 || !strings.Contains(out.String(), "nothing to do") {
		t.Fatalf("second repair: %+v %v\n%s", r, err, out.String())
	}
}

// A proposal the holders' policy does not meet is left proposed (and said
// so); once the operator accepts it by hand, the next repair uses it
// instead of proposing again.
func TestRepairWaitsThenReusesItsProposal(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 2, 1<<30)
	pol := policy()
	pol.MinPrice = uself(50) // above what the owner offers
	_, logs := e.market(t, pol)
	src := t.TempDir()
	writeTree(t, src)
	a := e.agent(t, 0, 1)
	if _, err := a.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	a.Out = &out
	r, err := a.Repair(ctx, RepairOptions{Replicas: 3, Terms: repairTerms(), Market: e.chain, Poll: 10 * time.Millisecond, Wait: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "the backup has 2 of 3 wanted healthy holders") {
		t.Fatalf("repair with no taker: %v\n%s", err, out.String())
	}
	if len(r.Proposals) != 1 || r.Proposals[0].Outcome != "not accepted in time" || !strings.Contains(out.String(), "stays proposed") {
		t.Fatalf("proposals %+v\n%s", r.Proposals, out.String())
	}
	if !strings.Contains(logs["node-d"].String(), "price 5uself per epoch is below the minimum 50uself") {
		t.Fatalf("holder d did not say why it declined:\n%s", logs["node-d"].String())
	}
	id := r.Proposals[0].Agreement
	if g, _ := e.chain.Agreement(ctx, id); g.Status != onchain.StatusProposed {
		t.Fatalf("the declined proposal is %s", g.Status)
	}

	must(t, e.chain.Accept(ctx, id, uself(1000))) // the operator, by hand
	out.Reset()
	r, err = a.Repair(ctx, RepairOptions{Replicas: 3, Terms: repairTerms(), Market: e.chain, Poll: 10 * time.Millisecond, Wait: time.Second})
	if err != nil {
		t.Fatalf("second repair: %v\n%s", err, out.String())
	}
	if len(r.Proposals) != 1 || r.Proposals[0].Agreement != id || len(r.Replicated) != 1 || !strings.Contains(out.String(), "using agreement") {
		t.Fatalf("second repair %+v\n%s", r, out.String())
	}
	if strings.Contains(out.String(), "proposing to") {
		t.Fatalf("the second repair proposed again:\n%s", out.String())
	}
}

// A holder that rejects is replaced by the next candidate.
func TestRepairRejectedGoesToNextCandidate(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 1, 1<<30)
	pol := policy()
	pol.MinPrice = uself(50)
	e.market(t, pol) // neither daemon accepts by itself
	src := t.TempDir()
	writeTree(t, src)
	a := e.agent(t, 0)
	if _, err := a.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	a.Out = &out
	// The test plays both operators: d rejects, c accepts.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 500 {
			as, _ := e.chain.OwnerAgreements(ctx, e.keys.Owner)
			for _, g := range as {
				if g.Status != onchain.StatusProposed {
					continue
				}
				if g.Holder == "node-d" {
					g.Status = onchain.StatusRejected
					e.chain.Put(g)
				} else if g.Holder == "node-c" {
					_ = e.chain.Accept(ctx, g.ID, uself(1000))
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	r, err := a.Repair(ctx, RepairOptions{Replicas: 2, Terms: repairTerms(), Market: e.chain, Poll: 10 * time.Millisecond, Wait: 10 * time.Second})
	<-done
	if err != nil {
		t.Fatalf("repair: %v\n%s", err, out.String())
	}
	if len(r.Proposals) != 2 || r.Proposals[0].Node != "node-d" || r.Proposals[0].Outcome != onchain.StatusRejected || r.Proposals[1].Node != "node-c" || r.Proposals[1].Outcome != "accepted, copied" {
		t.Fatalf("proposals %+v\n%s", r.Proposals, out.String())
	}
	if !strings.Contains(out.String(), "was rejected") {
		t.Fatalf("the rejection was not reported:\n%s", out.String())
	}
}

// Bad options fail before anything is proposed.
func TestRepairRefusals(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 1, 1<<30)
	e.market(t, policy())
	src := t.TempDir()
	writeTree(t, src)
	a := e.agent(t, 0)
	if _, err := a.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	agr, _ := e.chain.Agreement(ctx, 1)
	bad := func(f func(*RepairOptions)) RepairOptions {
		o := RepairOptions{Replicas: 2, Terms: repairTerms(), Market: e.chain, Wait: time.Second}
		f(&o)
		return o
	}
	for _, c := range []struct {
		opt  RepairOptions
		want string
	}{
		{bad(func(o *RepairOptions) { o.Replicas = 0 }), "--replicas 0: want at least 1"},
		{bad(func(o *RepairOptions) { o.Terms.Quota = 0 }), "give the space to reserve"},
		{bad(func(o *RepairOptions) { o.Terms.Price = types.Coin{} }), "no price"},
		{bad(func(o *RepairOptions) { o.Terms.Escrow = uself(4) }), "at least one epoch's price"},
		{bad(func(o *RepairOptions) { o.Terms.Escrow = types.NewCoin("stake", 500) }), "it must be in uself"},
		{bad(func(o *RepairOptions) { o.Terms.Quota = agr.TotalBytes - 1 }), "give --quota"},
		{bad(func(o *RepairOptions) { o.MinScorePPM = 999_900; o.Terms.Quota = 1 << 30 }), "no candidate holder"},
	} {
		_, err := a.Repair(ctx, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.opt, err, c.want)
		}
	}
	if as, _ := e.chain.OwnerAgreements(ctx, e.keys.Owner); len(as) != 1 {
		t.Fatalf("refused repairs left %d agreements, want 1", len(as))
	}
	// Every target failed: nothing to copy from.
	agr.Status = onchain.StatusFailed
	e.chain.Put(agr)
	if _, err := a.Repair(ctx, bad(func(*RepairOptions) {})); err == nil || !strings.Contains(err.Error(), "nothing to copy from") {
		t.Fatalf("no source: %v", err)
	}
	// Proposals that keep failing stop the repair.
	agr.Status = onchain.StatusActive
	e.chain.Put(agr)
	e.chain.ProposeErr = errSentinel
	if _, err := a.Repair(ctx, bad(func(*RepairOptions) {})); err == nil || !strings.Contains(err.Error(), "every proposal failed (2), the last: failed: insufficient funds") {
		t.Fatalf("failing proposals: %v", err)
	}
}

var errSentinel = errorString("insufficient funds")

type errorString string

func (e errorString) Error() string { return string(e) }
