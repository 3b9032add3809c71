package poai

import (
	"context"
	"fmt"
	"math"

	"github.com/selfchain/selfchain/app/runtime"
)

// Migrate1to2 moves a poai store written at consensus version 1 to version 2.
// Version 2 added two collections and changed no existing bytes:
//
//   - used_cons_addrs (0x14): every consensus address the chain ever accepted.
//     Filled here from by_cons_addr (every PoAI validator, whose records are
//     never deleted) and last_powers (CometBFT's current set, which may name
//     genesis.json validators PoAI never registered). The validators
//     genesis.json named that have already left the set are not recorded
//     anywhere in version 1 and stay unknown.
//   - key_proofs (0x13): proofs of possession of consensus keys. Validators
//     registered at version 1 made none and get none; an exported genesis of
//     the chain needs one from each of them (`selfchaind comet key-proof`).
//
// Version 1 accepted consensus keys ValidateConsensusKey now refuses (the
// all-zero Ed25519 key reached CometBFT's set). Each validator whose key fails
// it is jailed for good and tombstoned, and leaves CometBFT's set in this
// block's EndBlock when it is in it; its stake is not slashed (it can unbond).
// An event poai_consensus_key_refused names each.
//
// Version 2 also bounds the active set by what a block carries (block_room,
// 0x15); the upgrade handler sets it with SetBlockRoom(app.MaxActiveValidators(
// consensus params)), which this migration cannot compute.
//
// Registered in RegisterMigrations: an upgrade's RunMigrations calls it once, at
// the upgrade height, before the block's BeginBlock. It is idempotent.
func (k Keeper) Migrate1to2(ctx context.Context) error {
	err := k.ByConsAddr.Walk(ctx, nil, func(addr, _ []byte) (bool, error) {
		return false, k.UsedConsAddrs.Set(ctx, addr)
	})
	if err != nil {
		return err
	}
	err = k.LastPowers.Walk(ctx, nil, func(addr []byte, _ LastPower) (bool, error) {
		return false, k.UsedConsAddrs.Set(ctx, addr)
	})
	if err != nil {
		return err
	}
	var refused []Validator
	err = k.Validators.Walk(ctx, nil, func(_ []byte, v Validator) (bool, error) {
		if _, err := ValidateConsensusKey(v.ConsensusKey); err != nil && !v.Tombstoned {
			refused = append(refused, v)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, v := range refused {
		_, reason := ValidateConsensusKey(v.ConsensusKey)
		v.Tombstoned = true
		if err := k.jail(ctx, &v, math.MaxInt64); err != nil {
			return err
		}
		if err := k.setValidator(ctx, v); err != nil {
			return err
		}
		runtime.Unwrap(ctx).EventManager().Emit("poai_consensus_key_refused", "operator", v.OperatorAddress,
			"consensus_address", fmt.Sprintf("%X", v.ConsensusAddress), "reason", reason.Error())
	}
	return nil
}

// Migrate2to3 moves a poai store written at consensus version 2 to version 3:
// lagged scoring. Version 3 added pending_scores (0x16) and reports (0x17), both
// empty until the next block opens a window, and the score_window param, set
// here to DefaultScoreWindow. Block tx lists are now kept until a block's window
// closes; the ones version 2 kept (the last 3 blocks) have no window and are
// pruned as before. Version 2's vote extensions (version 1 on the wire) are no
// longer read: the upgrade height's votes must come from the new binary. It is
// idempotent.
func (k Keeper) Migrate2to3(ctx context.Context) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	if p.ScoreWindow == 0 {
		p.ScoreWindow = DefaultScoreWindow
	}
	return k.Params.Set(ctx, p)
}
