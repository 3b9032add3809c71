package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/selfchain/selfchain/backup/onchain"
)

// RepairOptions say how many healthy holders the backup should have and
// what the owner is willing to offer a new one.
type RepairOptions struct {
	Replicas    int            // active agreements wanted
	Terms       onchain.Terms  // offered to each new holder
	Market      onchain.Market // the registry and proposals
	MinScorePPM uint32         // holders with a lower backup_reliability score are not asked
	Wait        time.Duration  // how long to wait for a holder to accept (default 10m)
	Poll        time.Duration  // how often to look (default 2s)
}

// Proposal is one agreement the repair proposed (or reused) and what became of it.
type Proposal struct {
	Agreement uint64
	Node      string
	Reason    string // why this node
	Outcome   string // accepted, rejected, not accepted in time, failed: ...
}

// RepairResult summarises a repair.
type RepairResult struct {
	Wanted     int
	Healthy    []uint64 // active agreements among the targets before the repair
	Proposals  []Proposal
	Replicated []ReplicateResult
	Agreements []uint64 // the agreements to name in --agreements from now on
}

// maxProposeErrors stops a repair whose proposals keep failing (an account
// without funds fails every one the same way).
const maxProposeErrors = 3

// Repair brings the backup back to opt.Replicas active agreements: when
// fewer of the targets are active, it proposes agreements (opt.Terms) to
// the best candidate holders of x/registry — storage advertised, enough
// free capacity, highest backup_reliability score, none already holding
// (or having failed) an agreement of this owner, none owned by the owner —
// waits for them to accept (a holder with an auto-accept policy does so by
// itself), and copies the backup to each with Replicate. Proposals an
// earlier repair left unanswered, and accepted agreements not filled yet,
// are used before new ones are made. Everything it does is printed.
func (a *Agent) Repair(ctx context.Context, opt RepairOptions) (*RepairResult, error) {
	if opt.Replicas < 1 {
		return nil, fmt.Errorf("--replicas %d: want at least 1 holder", opt.Replicas)
	}
	if opt.Market == nil {
		return nil, errors.New("repair needs the chain's registry (no market given)")
	}
	if err := opt.Terms.Validate(); err != nil {
		return nil, err
	}
	if opt.Wait <= 0 {
		opt.Wait = 10 * time.Minute
	}
	if opt.Poll <= 0 {
		opt.Poll = 2 * time.Second
	}
	res := &RepairResult{Wanted: opt.Replicas}
	named := map[uint64]bool{}
	var sources []Target
	var biggest uint64
	var lost []string
	for _, t := range a.Targets {
		named[t.Agreement] = true
		agr, err := a.Chain.Agreement(ctx, t.Agreement)
		if err != nil {
			lost = append(lost, fmt.Sprintf("agreement %d unreadable (%v)", t.Agreement, err))
			continue
		}
		if agr.Owner != a.Keys.Owner {
			return nil, fmt.Errorf("agreement %d belongs to %s, not to %s", agr.ID, agr.Owner, a.Keys.Owner)
		}
		if agr.Storing() {
			sources = append(sources, t)
			biggest = max(biggest, agr.TotalBytes)
		}
		if agr.Status == onchain.StatusActive {
			res.Healthy = append(res.Healthy, agr.ID)
		} else {
			lost = append(lost, fmt.Sprintf("agreement %d is %s", agr.ID, agr.Status))
		}
	}
	res.Agreements = slices.Clone(res.Healthy)
	need := opt.Replicas - len(res.Healthy)
	if need <= 0 {
		a.printf("repair: %d of %d wanted holders are healthy (agreements %s): nothing to do\n", len(res.Healthy), opt.Replicas, joinU64(res.Healthy))
		return res, nil
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("no agreement of --agreements still serves the backup (%s): nothing to copy from; propose new agreements and run 'selfchaind backup run <dir>' to upload it again", strings.Join(lost, "; "))
	}
	if biggest > opt.Terms.Quota {
		return nil, fmt.Errorf("the backup holds %d bytes of ciphertext and --quota is %d: a new holder could not take it; give --quota %d or more", biggest, opt.Terms.Quota, biggest)
	}
	why := fmt.Sprintf("%d of %d wanted holders are healthy", len(res.Healthy), opt.Replicas)
	if len(lost) > 0 {
		why += " (" + strings.Join(lost, "; ") + ")"
	}
	a.printf("repair: %s: looking for %d new holder(s)\n", why, need)

	cands, err := opt.Market.Candidates(ctx)
	if err != nil {
		return nil, err
	}
	urls := map[string]string{}
	for _, c := range cands {
		urls[c.NodeID] = c.URL
	}
	mine, err := opt.Market.OwnerAgreements(ctx, a.Keys.Owner)
	if err != nil {
		return nil, fmt.Errorf("listing your agreements: %w", err)
	}
	// Nodes that hold (or were asked to hold, failed or recently rejected)
	// an agreement of this owner are not asked again; earlier proposals and
	// empty accepted agreements of this owner are used first.
	busy := map[string]bool{}
	var pending []*Proposal
	for _, g := range mine {
		if g.Status != onchain.StatusEnded {
			busy[g.Holder] = true
		}
		if named[g.ID] || len(pending) >= need || g.Quota < biggest {
			continue
		}
		if g.Status == onchain.StatusProposed || (g.Status == onchain.StatusActive && g.Revision == 0) {
			p := &Proposal{Agreement: g.ID, Node: g.Holder, Reason: fmt.Sprintf("your %s agreement %d with it holds no backup yet", g.Status, g.ID)}
			a.printf("repair: using agreement %d with node %s: %s\n", g.ID, g.Holder, p.Reason)
			pending = append(pending, p)
		}
	}
	var ranked []onchain.Candidate
	var skipped []string
	for _, c := range cands {
		switch {
		case c.Operator == a.Keys.Owner:
			skipped = append(skipped, c.NodeID+" is yours")
		case busy[c.NodeID]:
			skipped = append(skipped, c.NodeID+" already holds, was offered, failed or rejected an agreement of yours")
		case c.Free() < opt.Terms.Quota:
			skipped = append(skipped, fmt.Sprintf("%s has %d bytes free, under --quota %d", c.NodeID, c.Free(), opt.Terms.Quota))
		case c.ScorePPM < opt.MinScorePPM:
			skipped = append(skipped, fmt.Sprintf("%s scores %s, under --min-score", c.NodeID, ppm(c.ScorePPM)))
		default:
			ranked = append(ranked, c)
		}
	}
	slices.SortFunc(ranked, func(x, y onchain.Candidate) int {
		return cmp.Or(cmp.Compare(y.ScorePPM, x.ScorePPM), cmp.Compare(x.Slashed, y.Slashed), cmp.Compare(y.Free(), x.Free()), cmp.Compare(x.NodeID, y.NodeID))
	})
	for _, s := range skipped {
		a.printf("repair: not asking node %s\n", s)
	}

	next := 0
	proposeErrs := 0
	// propose offers the next ranked candidate an agreement; nil when none is left.
	propose := func() (*Proposal, error) {
		for next < len(ranked) {
			c := ranked[next]
			next++
			p := &Proposal{Node: c.NodeID, Reason: fmt.Sprintf("reliability %s (%d answered, %d missed, %d failed), %d bytes free", ppm(c.ScorePPM), c.Answered, c.Missed, c.Slashed, c.Free())}
			t := opt.Terms
			a.printf("repair: proposing to node %s (%s): quota %d bytes, price %s per epoch, escrow %s, collateral %s\n", c.NodeID, p.Reason, t.Quota, t.Price, t.Escrow, coinOrNone(t.Collateral.String()))
			id, err := opt.Market.Propose(ctx, c.NodeID, t)
			if err != nil {
				a.printf("repair: proposing to node %s failed: %v\n", c.NodeID, err)
				p.Outcome = "failed: " + err.Error()
				res.Proposals = append(res.Proposals, *p)
				if proposeErrs++; proposeErrs >= maxProposeErrors {
					return nil, fmt.Errorf("%d proposals failed in a row, the last: %w", proposeErrs, err)
				}
				continue
			}
			proposeErrs = 0
			p.Agreement = id
			a.printf("repair: proposed agreement %d to node %s; waiting for its operator to accept\n", id, c.NodeID)
			return p, nil
		}
		return nil, nil
	}
	for len(pending) < need {
		p, err := propose()
		if err != nil {
			return res, err
		}
		if p == nil {
			break
		}
		pending = append(pending, p)
	}
	if len(pending) == 0 {
		if len(res.Proposals) > 0 {
			return res, fmt.Errorf("every proposal failed (%d), the last: %s", len(res.Proposals), res.Proposals[len(res.Proposals)-1].Outcome)
		}
		return res, fmt.Errorf("no candidate holder: %d storage node(s) in the registry, none eligible (%s)", len(cands), strings.Join(skipped, "; "))
	}

	deadline := time.Now().Add(opt.Wait)
	var accepted []*Proposal
	for len(pending) > 0 {
		var still []*Proposal
		for _, p := range pending {
			g, err := a.Chain.Agreement(ctx, p.Agreement)
			if err != nil {
				return res, err
			}
			switch g.Status {
			case onchain.StatusActive:
				p.Outcome = "accepted"
				a.printf("repair: node %s accepted agreement %d\n", p.Node, p.Agreement)
				accepted = append(accepted, p)
			case onchain.StatusProposed:
				still = append(still, p)
			default:
				p.Outcome = g.Status
				a.printf("repair: agreement %d with node %s was %s\n", p.Agreement, p.Node, g.Status)
				res.Proposals = append(res.Proposals, *p)
				q, err := propose() // the next candidate in its place
				if err != nil {
					return res, err
				}
				if q != nil {
					still = append(still, q)
				}
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, p := range pending {
				p.Outcome = "not accepted in time"
				a.printf("repair: agreement %d with node %s is still not accepted after %s; it stays proposed (a later repair uses it; 'selfchaind tx backup reject %d' withdraws it)\n", p.Agreement, p.Node, opt.Wait, p.Agreement)
				res.Proposals = append(res.Proposals, *p)
			}
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(opt.Poll):
		}
	}

	// The sources are the targets that still serve; the copies go one
	// holder at a time (each is read from the sources again: their
	// chunks, not the source directory).
	a.Targets = sources
	var errs []error
	for _, p := range accepted {
		url := urls[p.Node]
		if url == "" {
			err := fmt.Errorf("node %s of agreement %d registers no endpoint", p.Node, p.Agreement)
			p.Outcome = "accepted, not copied: " + err.Error()
			res.Proposals = append(res.Proposals, *p)
			errs = append(errs, err)
			continue
		}
		a.printf("repair: copying the backup to agreement %d (node %s, %s)\n", p.Agreement, p.Node, url)
		r, err := a.Replicate(ctx, Target{Agreement: p.Agreement, URL: url})
		if err != nil {
			p.Outcome = "accepted, copy failed: " + err.Error()
			res.Proposals = append(res.Proposals, *p)
			errs = append(errs, fmt.Errorf("copying to agreement %d: %w", p.Agreement, err))
			continue
		}
		p.Outcome = "accepted, copied"
		res.Proposals = append(res.Proposals, *p)
		res.Replicated = append(res.Replicated, *r)
		res.Agreements = append(res.Agreements, p.Agreement)
		a.Targets = append(a.Targets, Target{Agreement: p.Agreement, URL: url})
	}
	if got := len(res.Agreements); got < opt.Replicas {
		errs = append(errs, fmt.Errorf("the backup has %d of %d wanted healthy holders (agreements %s); run the repair again later", got, opt.Replicas, joinU64(res.Agreements)))
	}
	a.printf("repair: use --agreements %s from now on\n", joinU64(res.Agreements))
	return res, errors.Join(errs...)
}

func ppm(v uint32) string { return fmt.Sprintf("%d.%04d%%", v/10_000, v%10_000) }

func coinOrNone(s string) string {
	if s == "" || s == "0" {
		return "none"
	}
	return s
}

func joinU64(ids []uint64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}
