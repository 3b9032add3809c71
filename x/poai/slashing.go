package poai

import (
	"context"
	"fmt"
	"math"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// handleMisbehavior slashes, jails for good and tombstones the double signer.
// Evidence about an unknown or already tombstoned validator is ignored (CometBFT
// has already checked it; a tombstoned validator is punished once).
func (k Keeper) handleMisbehavior(ctx context.Context, p Params, m abci.Misbehavior) error {
	if m.Type != abci.MisbehaviorType_DUPLICATE_VOTE && m.Type != abci.MisbehaviorType_LIGHT_CLIENT_ATTACK {
		return nil
	}
	v, found, err := k.ValidatorByConsAddr(ctx, m.Validator.Address)
	if err != nil || !found || v.Tombstoned {
		return err
	}
	slashed, err := k.slash(ctx, &v, p.SlashFractionDoubleSign, p.BondDenom)
	if err != nil {
		return err
	}
	fromUnbonding, err := k.slashUnbonding(ctx, operatorOf(v), m.Height, p.SlashFractionDoubleSign, p.BondDenom)
	if err != nil {
		return err
	}
	slashed += fromUnbonding
	v.Tombstoned = true
	v.Penalty = PPM
	v.Reputation = 0
	if err := k.jail(ctx, &v, math.MaxInt64); err != nil {
		return err
	}
	runtime.Unwrap(ctx).EventManager().Emit("poai_slash", "reason", "double_sign", "operator", v.OperatorAddress,
		"consensus_address", fmt.Sprintf("%X", v.ConsensusAddress), "infraction_height", fmt.Sprint(m.Height),
		"burned", fmt.Sprint(slashed), "tombstoned", "true")
	return k.setValidator(ctx, v)
}

// handleVote records one validator's signature (or absence) on the previous block.
func (k Keeper) handleVote(ctx context.Context, p Params, vote abci.VoteInfo) error {
	v, found, err := k.ValidatorByConsAddr(ctx, vote.Validator.Address)
	if err != nil || !found || v.Jailed {
		return err
	}
	// As in the Cosmos SDK: a nil vote is a signature; only an absent one is a miss.
	missed := vote.BlockIdFlag == cmtproto.BlockIDFlagAbsent || vote.BlockIdFlag == cmtproto.BlockIDFlagUnknown
	obs := uint32(PPM)
	if missed {
		obs = 0
	}
	v.SignedAvg = ema(v.SignedAvg, obs, p.EmaAlpha)

	w := uint64(p.DowntimeWindow)
	if uint64(len(v.MissedBitmap)) != (w+7)/8 { // new validator or the window param changed: start over
		v.MissedBitmap, v.MissedBlocks, v.WindowCount = make([]byte, (w+7)/8), 0, 0
	}
	idx := v.WindowCount % w
	byteI, bit := idx/8, byte(1)<<(idx%8)
	was := v.MissedBitmap[byteI]&bit != 0
	switch {
	case missed && !was:
		v.MissedBitmap[byteI] |= bit
		v.MissedBlocks++
	case !missed && was:
		v.MissedBitmap[byteI] &^= bit
		v.MissedBlocks--
	}
	v.WindowCount++
	v.Reputation = computeReputation(v.AgreementAvg, v.SignedAvg, v.Penalty, p)

	if v.WindowCount >= w && int64(v.MissedBlocks) > p.MaxMissedBlocks {
		slashed, err := k.slash(ctx, &v, p.SlashFractionDowntime, p.BondDenom)
		if err != nil {
			return err
		}
		v.Penalty = addPenalty(v.Penalty, p.DowntimePenalty)
		v.Reputation = computeReputation(v.AgreementAvg, v.SignedAvg, v.Penalty, p)
		until := runtime.Unwrap(ctx).BlockHeight() + p.JailDuration
		if err := k.jail(ctx, &v, until); err != nil {
			return err
		}
		// A fresh window after the jail, so unjailing is not followed by an instant re-jail.
		v.MissedBitmap, v.MissedBlocks, v.WindowCount = make([]byte, (w+7)/8), 0, 0
		runtime.Unwrap(ctx).EventManager().Emit("poai_slash", "reason", "downtime", "operator", v.OperatorAddress,
			"consensus_address", fmt.Sprintf("%X", v.ConsensusAddress), "burned", fmt.Sprint(slashed),
			"jailed_until", fmt.Sprint(until))
	}
	return k.setValidator(ctx, v)
}

// slash burns fraction (ppm) of v's self-stake from the bonded pool. Unbonding
// entries are not slashed in this version (docs/modules/poai.md).
func (k Keeper) slash(ctx context.Context, v *Validator, fractionPPM uint32, denom string) (uint64, error) {
	amt := fraction(v.SelfStake, fractionPPM)
	if amt == 0 {
		return 0, nil
	}
	if err := k.bank.BurnCoins(ctx, BondedPool, types.Coins{types.NewCoin(denom, amt)}); err != nil {
		return 0, fmt.Errorf("poai: burning %d%s of slashed stake: %w", amt, denom, err)
	}
	v.SelfStake -= amt
	return amt, nil
}

// jail marks v jailed until the given height and, if CometBFT has it in the set,
// queues it to leave the set in this block's EndBlock.
func (k Keeper) jail(ctx context.Context, v *Validator, until int64) error {
	v.Jailed = true
	v.JailedUntil = until
	if has, err := k.LastPowers.Has(ctx, v.ConsensusAddress); err != nil {
		return err
	} else if has {
		return k.Leaving.Set(ctx, v.ConsensusAddress)
	}
	return nil
}

// operatorOf parses a stored operator address (stored addresses are valid).
func operatorOf(v Validator) crypto.Address {
	a, _ := crypto.AddressFromBech32(v.OperatorAddress)
	return a
}
