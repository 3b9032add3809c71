package holder

import (
	"context"
	"fmt"
	"time"

	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/types"
)

// AcceptPolicy is a holder operator's standing answer to proposals (opt-in,
// 'backup serve --auto-accept'): a proposal whose terms meet every minimum
// is accepted with the collateral it asks; any other is left for the
// operator ('tx backup accept' or 'reject') with a log line saying why.
type AcceptPolicy struct {
	MinPrice        types.Coin // price per epoch at least this, in its denom (required)
	MaxQuota        uint64     // 0: any quota (the chain still checks the advertised capacity)
	MaxCollateral   types.Coin // the most collateral locked for one agreement; zero: only proposals asking none
	MinEscrowEpochs uint64     // the escrow pays at least this many epochs (0 or 1: one)
	MinNoticeEpochs uint64     // the owner gives at least this much notice
}

// Validate refuses a policy that would accept anything by accident.
func (p AcceptPolicy) Validate() error {
	if p.MinPrice.Denom == "" {
		return fmt.Errorf("auto-accept needs a minimum price per epoch, e.g. --accept-min-price 5uself")
	}
	if p.MaxCollateral.Denom != "" && p.MaxCollateral.Denom != p.MinPrice.Denom {
		return fmt.Errorf("--accept-max-collateral %s is in another denom than --accept-min-price %s", p.MaxCollateral, p.MinPrice)
	}
	return nil
}

// Check returns why a proposal does not meet the policy, or nil.
func (p AcceptPolicy) Check(a onchain.Agreement) error {
	if a.Price.Denom != p.MinPrice.Denom || a.Price.Amount.LT(p.MinPrice.Amount) {
		return fmt.Errorf("price %s per epoch is below the minimum %s", a.Price, p.MinPrice)
	}
	if p.MaxQuota > 0 && a.Quota > p.MaxQuota {
		return fmt.Errorf("quota %d bytes is over the maximum %d", a.Quota, p.MaxQuota)
	}
	if !a.Collateral.Amount.IsZero() {
		if p.MaxCollateral.Denom == "" {
			return fmt.Errorf("it asks collateral %s and this holder locks none automatically (--accept-max-collateral)", a.Collateral)
		}
		if a.Collateral.Denom != p.MaxCollateral.Denom || p.MaxCollateral.Amount.LT(a.Collateral.Amount) {
			return fmt.Errorf("it asks collateral %s, over the maximum %s", a.Collateral, p.MaxCollateral)
		}
	}
	epochs := max(p.MinEscrowEpochs, 1)
	need, err := a.Price.Amount.MulUint64(epochs)
	if err != nil || a.Escrow.Denom != a.Price.Denom || a.Escrow.Amount.LT(need) {
		return fmt.Errorf("escrow %s pays fewer than %d epochs at %s", a.Escrow, epochs, a.Price)
	}
	if a.NoticeEpochs < p.MinNoticeEpochs {
		return fmt.Errorf("notice of %d epochs is below the minimum %d", a.NoticeEpochs, p.MinNoticeEpochs)
	}
	return nil
}

// maxAcceptTries bounds the retries of an accept the chain refused (a
// transient node error gets a few polls; a lasting refusal is logged and
// left to the operator).
const maxAcceptTries = 3

// AutoAccepter accepts the holder's proposals that meet its policy.
type AutoAccepter struct {
	s      *Server
	chain  onchain.Acceptor
	policy AcceptPolicy
	seen   map[uint64]int // proposals decided (-1) or tried n times
}

// NewAutoAccepter returns s's acceptor of proposals under p, sending
// MsgAccept through chain (signed by the node's operator).
func (s *Server) NewAutoAccepter(chain onchain.Acceptor, p AcceptPolicy) *AutoAccepter {
	return &AutoAccepter{s: s, chain: chain, policy: p, seen: map[uint64]int{}}
}

// Run polls every interval until ctx ends.
func (x *AutoAccepter) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := x.Step(ctx); err != nil && ctx.Err() == nil {
			x.s.log.Warn("backup auto-accept round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step decides every proposal not decided yet and returns the ids accepted.
// Every decision is logged once.
func (x *AutoAccepter) Step(ctx context.Context) ([]uint64, error) {
	as, err := x.s.cfg.Chain.HolderAgreements(ctx, x.s.cfg.NodeID)
	if err != nil {
		return nil, fmt.Errorf("listing proposals: %w", err)
	}
	var accepted []uint64
	for _, a := range as {
		if a.Status != onchain.StatusProposed || x.seen[a.ID] < 0 {
			continue
		}
		log := x.s.log.With("agreement", a.ID, "owner", a.Owner, "quota", a.Quota, "price", a.Price.String(), "escrow", a.Escrow.String(), "collateral", a.Collateral.String())
		if why := x.policy.Check(a); why != nil {
			log.Info("backup proposal left for the operator: it does not meet the auto-accept policy", "reason", why.Error())
			x.s.metrics.proposals.WithLabelValues("declined").Inc()
			x.seen[a.ID] = -1
			continue
		}
		collateral := a.Collateral
		if collateral.Amount.IsZero() {
			collateral = types.Coin{}
		}
		if err := x.chain.Accept(ctx, a.ID, collateral); err != nil {
			x.seen[a.ID]++
			if x.seen[a.ID] >= maxAcceptTries {
				x.seen[a.ID] = -1
				log.Warn("backup proposal meets the policy but accepting it failed; left for the operator", "tries", maxAcceptTries, "err", err)
				x.s.metrics.proposals.WithLabelValues("failed").Inc()
			} else {
				log.Warn("accepting a backup proposal failed; will retry", "err", err)
			}
			continue
		}
		x.seen[a.ID] = -1
		log.Info("backup proposal accepted automatically (it meets the auto-accept policy)")
		x.s.metrics.proposals.WithLabelValues("accepted").Inc()
		accepted = append(accepted, a.ID)
	}
	return accepted, nil
}
