package poai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
)

// This file is the surface the vote-extension side (x/poai/voteext) and the app
// glue call: block txs in, per-tx risks and per-validator agreement out.

// BlockTx names one tx of a block: its hash (sha256 of the tx bytes) and its
// signer address (20 bytes).
type BlockTx struct{ Hash, Sender []byte }

// SetBlockTxs remembers the txs of block `height` (one stored value per block, not
// one per tx) so that scores about them, which arrive two blocks later, can name
// the tx and its sender; keeps only the last 3 heights.
func (k Keeper) SetBlockTxs(ctx context.Context, height int64, txs []BlockTx) error {
	if len(txs) > MaxBlockTxs {
		return fmt.Errorf("poai: %d block txs, at most %d", len(txs), MaxBlockTxs)
	}
	val := StoredBlockTxs{Txs: make([]StoredTx, len(txs))}
	for i, t := range txs {
		val.Txs[i] = StoredTx(t)
	}
	if err := k.BlockTxs.Set(ctx, height, val); err != nil {
		return err
	}
	// Everything at or below height-3 goes; normally that is one entry.
	rng := new(collections.Range[int64]).EndInclusive(height - blockTxsKept)
	return k.BlockTxs.Clear(ctx, rng)
}

// TxRisk is the aggregated risk (0..1000) of the tx at Index in block scoredHeight.
type TxRisk struct{ Index, Risk uint32 }

// RecordTxRisks flags every tx whose aggregated risk is >= the flag-threshold
// param (queryable record: height, index, tx hash, sender, risk) and rate-limits
// its sender for rate_limit_window blocks from the current height. Risks naming
// an index the block does not have, or a height no longer remembered, are
// ignored: the scores come from validators and must never fail the block.
func (k Keeper) RecordTxRisks(ctx context.Context, scoredHeight int64, risks []TxRisk) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	block, err := k.BlockTxs.Get(ctx, scoredHeight)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	rctx := runtime.Unwrap(ctx)
	now := rctx.BlockHeight()
	until := now + p.RateLimitWindow
	flagged := 0
	for _, r := range risks {
		if r.Risk < p.FlagThreshold || r.Risk > 1000 || int(r.Index) >= len(block.Txs) {
			continue
		}
		if flagged == MaxFlaggedPerBlock {
			break
		}
		key := collections.Join(scoredHeight, r.Index)
		if has, err := k.Flagged.Has(ctx, key); err != nil {
			return err
		} else if has {
			continue // a repeated index counts once
		}
		flagged++
		tx := block.Txs[r.Index]
		sender := ""
		if len(tx.Sender) == crypto.AddressLen {
			sender = crypto.Address(tx.Sender).String()
		}
		rec := FlaggedTx{Height: scoredHeight, Index: r.Index, TxHash: tx.Hash, Sender: sender, Risk: r.Risk,
			FlaggedAt: now, RateLimitedUntil: until}
		if err := k.Flagged.Set(ctx, key, rec); err != nil {
			return err
		}
		if sender != "" && p.RateLimitWindow > 0 {
			if err := k.rateLimit(ctx, tx.Sender, until); err != nil {
				return err
			}
		}
		rctx.EventManager().Emit("poai_flagged_tx", "height", fmt.Sprint(scoredHeight), "index", fmt.Sprint(r.Index),
			"tx_hash", fmt.Sprintf("%X", tx.Hash), "sender", sender, "risk", fmt.Sprint(r.Risk))
	}
	return nil
}

// rateLimit extends (never shortens) addr's rate limit to until.
func (k Keeper) rateLimit(ctx context.Context, addr []byte, until int64) error {
	prev, err := k.RateLimits.Get(ctx, addr)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		if err := k.addRateLimitCount(ctx, 1); err != nil {
			return err
		}
	case err != nil:
		return err
	case prev >= until:
		return nil
	default:
		if err := k.RateLimitQueue.Remove(ctx, collections.Join(prev, addr)); err != nil {
			return err
		}
	}
	if err := k.RateLimits.Set(ctx, addr, until); err != nil {
		return err
	}
	return k.RateLimitQueue.Set(ctx, collections.Join(until, bytes.Clone(addr)))
}

// addRateLimitCount moves RateLimitCount by delta (+1 for a new limit, -1 for a removed one).
func (k Keeper) addRateLimitCount(ctx context.Context, delta int64) error {
	n, err := k.RateLimitCount.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if delta < 0 && n == 0 {
		return fmt.Errorf("rate-limit count would go below zero: state is corrupt")
	}
	return k.RateLimitCount.Set(ctx, uint64(int64(n)+delta))
}

// IsRateLimited is what the ante pipeline asks about a tx signer: true while a
// flagged tx of addr is within its rate_limit_window.
func (k Keeper) IsRateLimited(ctx context.Context, addr []byte) (bool, error) {
	if n, err := k.RateLimitCount.Get(ctx); errors.Is(err, collections.ErrNotFound) || (err == nil && n == 0) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	until, err := k.RateLimits.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return runtime.Unwrap(ctx).BlockHeight() < until, nil
}

// RateLimitError explains a refusal to the sender (the ante pipeline's message).
func (k Keeper) RateLimitError(ctx context.Context, addr []byte) error {
	until, _ := k.RateLimits.Get(ctx, addr)
	return ErrRateLimited.Wrapf("%s may send again from height %d (query flagged txs: selfchaind query poai flagged)",
		crypto.Address(addr), until)
}

// AgreementSignal is one validator's showing for one judged block.
type AgreementSignal struct {
	ConsAddress []byte
	Scored      bool   // its vote extension carried valid scores for the judged block
	Agreement   uint32 // 0..1_000_000 (ppm) how close it stayed to the weighted median; 0 if !Scored
}

// RecordAgreement updates each validator's reputation (fixed-point moving average,
// params weights) from one block's signals; validators absent from signals are
// left to the signed-blocks side. Signals are applied in consensus-address order
// (not the caller's), unknown addresses are ignored, a repeated address counts once.
func (k Keeper) RecordAgreement(ctx context.Context, height int64, signals []AgreementSignal) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	sorted := make([]AgreementSignal, len(signals))
	copy(sorted, signals)
	sort.SliceStable(sorted, func(i, j int) bool { return bytes.Compare(sorted[i].ConsAddress, sorted[j].ConsAddress) < 0 })
	for i, s := range sorted {
		if i > 0 && bytes.Equal(s.ConsAddress, sorted[i-1].ConsAddress) {
			continue
		}
		v, found, err := k.ValidatorByConsAddr(ctx, s.ConsAddress)
		if err != nil {
			return err
		}
		if !found || v.Tombstoned {
			continue
		}
		obs := uint32(0)
		if s.Scored {
			obs = clipAgreement(s.Agreement, p.ClipThreshold)
		}
		v.AgreementAvg = ema(v.AgreementAvg, obs, p.EmaAlpha)
		v.Reputation = computeReputation(v.AgreementAvg, v.SignedAvg, v.Penalty, p)
		if err := k.setValidator(ctx, v); err != nil {
			return err
		}
	}
	_ = height // the judged height is implied by the caller; kept in the signature for events and future checks
	return nil
}
