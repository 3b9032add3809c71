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
// signer (empty for a tx the app could not decode). It is stored as StoredTx,
// whose sender is the same address as raw bytes: typing it changed no stored
// byte.
type BlockTx struct {
	Hash   []byte
	Sender crypto.Address
}

// SetBlockTxs remembers the txs of block `height` (one stored value per block, not
// one per tx) so that scores about them, which arrive within the scoring window,
// can name the tx and its sender, and opens the block's scoring window
// (PendingScores, expecting CometBFT's current set). hash is the block's hash.
func (k Keeper) SetBlockTxs(ctx context.Context, height int64, hash []byte, txs []BlockTx) error {
	if len(txs) > MaxBlockTxs {
		return fmt.Errorf("poai: %d block txs, at most %d", len(txs), MaxBlockTxs)
	}
	val := StoredBlockTxs{Txs: make([]StoredTx, len(txs))}
	for i, t := range txs {
		val.Txs[i] = StoredTx{Hash: t.Hash, Sender: t.Sender}
	}
	if err := k.BlockTxs.Set(ctx, height, val); err != nil {
		return err
	}
	if err := k.pendingFor(ctx, height, hash, len(txs)); err != nil {
		return err
	}
	// Lists of blocks nobody was expected to score; normally there are none.
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
	return nil
}
