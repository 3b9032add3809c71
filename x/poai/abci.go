package poai

import (
	"bytes"
	"context"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
)

// The module's two block hooks (Module.BeginBlock and Module.EndBlock call
// these). BeginBlock's work lives in slashing.go; EndBlock's in unbonding.go,
// rewards.go and epoch.go.

// BeginBlock applies what CometBFT decided about the previous block: double-sign
// evidence (slash, jail, tombstone) and who signed it (signed-blocks average,
// downtime window, downtime jail). Work is bounded by the validator set size and
// the evidence CometBFT admits per block.
func (k Keeper) BeginBlock(ctx context.Context) error {
	rctx := runtime.Unwrap(ctx)
	h := rctx.Header()
	if len(h.Misbehavior) == 0 && len(h.LastCommit.Votes) == 0 {
		return nil
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	for _, m := range h.Misbehavior {
		if err := k.handleMisbehavior(ctx, p, m); err != nil {
			return err
		}
	}
	for _, vote := range h.LastCommit.Votes {
		if err := k.handleVote(ctx, p, vote); err != nil {
			return err
		}
	}
	return nil
}

// EndBlock pays matured unbondings, prunes expired records, mints this block's
// inflation, and either runs the epoch transition (rewards, then the new active
// set) or only removes validators jailed in this block. It returns the validator
// updates CometBFT applies.
func (k Keeper) EndBlock(ctx context.Context) ([]abci.ValidatorUpdate, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	h := runtime.Unwrap(ctx).BlockHeight()
	if err := k.payMaturedUnbondings(ctx, p, h); err != nil {
		return nil, err
	}
	if err := k.prune(ctx, p, h); err != nil {
		return nil, err
	}
	ep, err := k.Epoch.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := k.mintInflation(ctx, p, ep); err != nil {
		return nil, err
	}
	before := ep
	if h < ep.NextEpochHeight {
		updates, err := k.applyUpdates(ctx, p, &ep, h, false)
		if err != nil {
			return nil, err
		}
		return updates, k.setEpochIfChanged(ctx, before, ep)
	}
	paid, err := k.distributeRewards(ctx, p)
	if err != nil {
		return nil, err
	}
	ep.LastRewards = paid
	ep.Number++
	ep.StartHeight = h + 1
	ep.NextEpochHeight = h + p.EpochLength
	updates, err := k.applyUpdates(ctx, p, &ep, h, true)
	if err != nil {
		return nil, err
	}
	return updates, k.Epoch.Set(ctx, ep)
}

// setEpochIfChanged writes ep only when it changed: rewriting an equal value
// would still change the IAVL root (nodes carry their version), and a quiet block
// must leave the app hash alone.
func (k Keeper) setEpochIfChanged(ctx context.Context, before, after EpochInfo) error {
	a, err := before.Marshal()
	if err != nil {
		return err
	}
	b, err := after.Marshal()
	if err != nil {
		return err
	}
	if bytes.Equal(a, b) {
		return nil
	}
	return k.Epoch.Set(ctx, after)
}
