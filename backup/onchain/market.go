package onchain

import (
	"context"
	"fmt"

	"github.com/selfchain/selfchain/types"
)

// Terms are what an owner offers a holder in a proposal (MsgPropose's
// fields but the holder).
type Terms struct {
	Quota        uint64 // bytes of ciphertext
	Price        types.Coin
	Escrow       types.Coin
	Collateral   types.Coin // zero: none asked
	NoticeEpochs uint64     // 0: x/backup's minimum of 1
}

// Validate checks the terms as x/backup will, so a bad flag fails before
// anything is sent.
func (t Terms) Validate() error {
	if t.Quota == 0 {
		return fmt.Errorf("the quota is 0: give the space to reserve on each new holder, e.g. --quota 10GiB")
	}
	if t.Price.Denom == "" || t.Price.Amount.IsZero() {
		return fmt.Errorf("no price: give the price per epoch you pay each new holder, e.g. --price 5uself")
	}
	if t.Escrow.Denom != t.Price.Denom || t.Escrow.Amount.LT(t.Price.Amount) {
		return fmt.Errorf("escrow %s: it must be in %s and at least one epoch's price (%s), e.g. --escrow 100%s", t.Escrow, t.Price.Denom, t.Price, t.Price.Denom)
	}
	return nil
}

// Candidate is a registered node that offers backup space, with what an
// owner chooses a holder by.
type Candidate struct {
	NodeID   string
	Operator string // the node's owner account
	URL      string // its first endpoint (the holder API)
	Capacity uint64 // advertised capabilities.storage_bytes
	Used     uint64 // quotas of its active and ending agreements
	ScorePPM uint32 // backup_reliability.score_ppm (1,000,000 before its first challenge)
	Answered uint64
	Missed   uint64
	Slashed  uint64 // agreements it failed
}

// Free is the capacity its agreements leave.
func (c Candidate) Free() uint64 { return c.Capacity - min(c.Used, c.Capacity) }

// Market is what choosing and engaging a new holder needs: the nodes that
// offer space, the owner's agreements, and a proposal.
type Market interface {
	// Candidates lists active registered nodes that advertise storage.
	Candidates(ctx context.Context) ([]Candidate, error)
	// OwnerAgreements lists an owner's open (and recently closed) agreements.
	OwnerAgreements(ctx context.Context, owner string) ([]Agreement, error)
	// Propose offers node an agreement signed by the owner; it returns the new id.
	Propose(ctx context.Context, node string, t Terms) (uint64, error)
}

// Acceptor is the holder operator's side of a proposal.
type Acceptor interface {
	// Accept accepts a proposed agreement, locking collateral.
	Accept(ctx context.Context, id uint64, collateral types.Coin) error
}
