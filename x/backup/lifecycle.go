package backup

import (
	"context"
	"errors"
	"strconv"

	"cosmossdk.io/collections"
	"github.com/holiman/uint256"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

func errIsNotFound(err error) bool { return errors.Is(err, collections.ErrNotFound) }

// cancelChallenge drops an agreement's challenge, open or answered, if any.
func (k Keeper) cancelChallenge(ctx context.Context, id uint64) error {
	ch, err := k.Challenges.Get(ctx, id)
	if errIsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := k.settleAnswered(ctx, ch); err != nil {
		return err
	}
	// Its deadline entry stays (one write less per proof); the deadline step skips it.
	return k.Challenges.Remove(ctx, id)
}

func (k Keeper) send(ctx context.Context, from crypto.Address, to string, c types.Coin) error {
	if c.Amount.IsZero() {
		return nil
	}
	addr, err := crypto.AddressFromBech32(to)
	if err != nil {
		return err // stored addresses were checked: corrupted state
	}
	return k.bank.SendCoins(ctx, from, addr, types.Coins{c})
}

// pay moves one epoch's price (or what is left of the escrow) to the holder
// and queues the next payment; an emptied escrow ends the agreement cleanly.
// It reports whether the agreement closed (then it is saved; else the caller saves a).
func (k Keeper) pay(ctx context.Context, a *Agreement, p Params) (closed bool, err error) {
	amt := a.PricePerEpoch
	if a.Escrow.Amount.LT(amt.Amount) {
		amt = a.Escrow
	}
	if err := k.send(ctx, Escrow, a.Holder, amt); err != nil {
		return false, err
	}
	if a.Escrow.Amount, err = a.Escrow.Amount.Sub(amt.Amount); err != nil {
		return false, err
	}
	if a.Paid.Amount, err = a.Paid.Amount.Add(amt.Amount); err != nil {
		return false, err
	}
	if err := k.Due.Remove(ctx, dueAt(a.NextPaymentHeight, duePayment, a.Id)); err != nil {
		return false, err
	}
	emit(ctx, EventTypePayment, AttrAgreementID, idStr(a.Id), AttrHolder, a.Holder, AttrAmount, amt.String())
	a.NextPaymentHeight += int64(p.EpochBlocks)
	if a.Status == STATUS_ENDING && a.NextPaymentHeight > a.EndHeight {
		a.NextPaymentHeight = 0 // the last epoch is paid; the end closes it
		return false, nil
	}
	if a.Escrow.Amount.IsZero() {
		a.NextPaymentHeight = 0
		return true, k.close(ctx, *a, STATUS_ENDED) // out of escrow: the holder did nothing wrong
	}
	return false, k.Due.Set(ctx, dueAt(a.NextPaymentHeight, duePayment, a.Id))
}

// slashAmount is bps/10000 of c, rounded down (256-bit exact).
func slashAmount(c types.Int, bps uint32) types.Int {
	b := c.Bytes32()
	v := new(uint256.Int).SetBytes32(b[:])
	r, _ := new(uint256.Int).MulDivOverflow(v, uint256.NewInt(uint64(bps)), uint256.NewInt(10_000)) // bps ≤ 10000: never overflows
	return types.IntFromBytes32(r.Bytes32())
}

// close settles an open agreement: the escrow remainder goes back to the owner;
// the collateral back to the holder, less slash_fraction_bps to the owner when
// it failed; it leaves every queue and is pruned retain_blocks later.
func (k Keeper) close(ctx context.Context, a Agreement, status Status) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	h := runtime.Unwrap(ctx).BlockHeight()
	if err := k.send(ctx, Escrow, a.Owner, a.Escrow); err != nil {
		return err
	}
	a.Escrow.Amount = types.Int{}
	wasServing := a.Status.IsServing()
	if wasServing {
		back := a.Collateral
		if status == STATUS_FAILED {
			a.Slashed = types.Coin{Denom: a.Collateral.Denom, Amount: slashAmount(a.Collateral.Amount, p.SlashFractionBps)}
			if err := k.send(ctx, Escrow, a.Owner, a.Slashed); err != nil {
				return err
			}
			if back.Amount, err = back.Amount.Sub(a.Slashed.Amount); err != nil {
				return err
			}
		}
		if err := k.send(ctx, Escrow, a.Holder, back); err != nil {
			return err
		}
		if a.NextPaymentHeight != 0 {
			if err := k.Due.Remove(ctx, dueAt(a.NextPaymentHeight, duePayment, a.Id)); err != nil {
				return err
			}
		}
		if a.Status == STATUS_ENDING {
			if err := k.Due.Remove(ctx, dueAt(a.EndHeight, dueEnd, a.Id)); err != nil {
				return err
			}
		}
		if err := k.cancelChallenge(ctx, a.Id); err != nil {
			return err
		}
		if err := k.Challengeable.Remove(ctx, a.Id); err != nil {
			return err
		}
	}
	owner, err := crypto.AddressFromBech32(a.Owner)
	if err != nil {
		return err
	}
	open, err := k.ownerOpen(ctx, owner)
	if err != nil {
		return err
	}
	if err := k.setOwnerOpen(ctx, owner, open-min(open, 1)); err != nil {
		return err
	}
	st, err := k.holderStats(ctx, a.HolderNodeId)
	if err != nil {
		return err
	}
	st.OpenAgreements -= min(st.OpenAgreements, 1)
	if wasServing {
		st.UsedBytes -= min(st.UsedBytes, a.QuotaBytes)
	}
	if status == STATUS_FAILED {
		st.Slashed++
	}
	if err := k.HolderStats.Set(ctx, a.HolderNodeId, st); err != nil {
		return err
	}
	a.Status, a.EndHeight, a.NextPaymentHeight = status, h, 0
	if err := k.Agreements.Set(ctx, a.Id, a); err != nil {
		return err
	}
	if err := k.Due.Set(ctx, dueAt(h+int64(p.RetainBlocks), duePrune, a.Id)); err != nil {
		return err
	}
	emit(ctx, EventTypeClosed, AttrAgreementID, idStr(a.Id), AttrOwner, a.Owner, AttrNodeID, a.HolderNodeId,
		AttrStatus, a.Status.String(), AttrSlashed, a.Slashed.String(), AttrEndHeight, strconv.FormatInt(h, 10))
	return nil
}

// prune deletes a closed agreement and its index entries.
func (k Keeper) prune(ctx context.Context, id uint64) error {
	a, err := k.Agreements.Get(ctx, id)
	if errIsNotFound(err) {
		return nil
	}
	if a.Status.IsOpen() {
		return nil // not closed: a corrupted queue entry; never delete an open agreement
	}
	if err != nil {
		return err
	}
	owner, err := crypto.AddressFromBech32(a.Owner)
	if err != nil {
		return err
	}
	if err := k.ByOwner.Remove(ctx, collections.Join([]byte(owner), id)); err != nil {
		return err
	}
	if err := k.ByHolder.Remove(ctx, collections.Join(a.HolderNodeId, id)); err != nil {
		return err
	}
	return k.Agreements.Remove(ctx, id)
}
