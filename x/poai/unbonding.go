package poai

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// payMaturedUnbondings returns stake whose unbonding period ended, oldest first,
// at most MaxUnbondingsPerBlock entries per block (the rest wait a block).
func (k Keeper) payMaturedUnbondings(ctx context.Context, p Params, h int64) error {
	type due struct {
		key collections.Pair[int64, uint64]
		e   UnbondingEntry
	}
	var list []due
	rng := new(collections.Range[collections.Pair[int64, uint64]]).EndExclusive(collections.Join(h+1, uint64(0)))
	err := k.Unbonding.Walk(ctx, rng, func(key collections.Pair[int64, uint64], e UnbondingEntry) (bool, error) {
		list = append(list, due{key, e})
		return len(list) == MaxUnbondingsPerBlock, nil
	})
	if err != nil {
		return err
	}
	for _, d := range list {
		to, err := crypto.AddressFromBech32(d.e.OperatorAddress)
		if err != nil {
			return fmt.Errorf("poai: stored unbonding entry with a bad address: %w", err)
		}
		if d.e.Amount > 0 { // a 100% slash can leave an empty entry
			if err := k.bank.SendCoins(ctx, BondedPool, to, types.Coins{types.NewCoin(p.BondDenom, d.e.Amount)}); err != nil {
				return fmt.Errorf("poai: paying unbonding of %s: %w", d.e.OperatorAddress, err)
			}
		}
		if err := k.Unbonding.Remove(ctx, d.key); err != nil { // and its operator index entry
			return err
		}
		if v, found, err := k.GetValidator(ctx, to); err != nil {
			return err
		} else if found && v.UnbondingEntries > 0 {
			v.UnbondingEntries--
			if err := k.setValidator(ctx, v); err != nil {
				return err
			}
		}
		runtime.Unwrap(ctx).EventManager().Emit("poai_unbonding_complete", "operator", d.e.OperatorAddress,
			"amount", fmt.Sprint(d.e.Amount)+p.BondDenom)
	}
	return nil
}

// addUnbonding queues an entry (the IndexedMap adds its per-operator index
// entry, from e.OperatorAddress).
func (k Keeper) addUnbonding(ctx context.Context, e UnbondingEntry) error {
	seq, err := k.UnbondingSeq.Next(ctx)
	if err != nil {
		return err
	}
	return k.Unbonding.Set(ctx, collections.Join(e.CompletionHeight, seq), e)
}

// slashUnbonding burns fraction (ppm) of every entry of op created at or after
// the infraction height, as the Cosmos SDK does: stake that was bonded when the
// validator misbehaved cannot escape by unbonding. At most MaxUnbondingEntries
// entries exist per operator.
func (k Keeper) slashUnbonding(ctx context.Context, op crypto.Address, infraction int64, fractionPPM uint32, denom string) (uint64, error) {
	var keys []collections.Pair[int64, uint64]
	rng := collections.NewPrefixedTripleRange[[]byte, int64, uint64](op)
	err := k.UnbondingByOp.Walk(ctx, rng, func(key collections.Triple[[]byte, int64, uint64]) (bool, error) {
		keys = append(keys, collections.Join(key.K2(), key.K3()))
		return false, nil
	})
	if err != nil {
		return 0, err
	}
	var burned uint64
	for _, key := range keys {
		e, err := k.Unbonding.Get(ctx, key)
		if err != nil {
			return 0, err
		}
		if e.CreationHeight < infraction {
			continue
		}
		amt := fraction(e.Amount, fractionPPM)
		if amt == 0 {
			continue
		}
		e.Amount -= amt
		burned += amt
		if err := k.Unbonding.Set(ctx, key, e); err != nil {
			return 0, err
		}
	}
	if burned > 0 {
		if err := k.bank.BurnCoins(ctx, BondedPool, types.Coins{types.NewCoin(denom, burned)}); err != nil {
			return 0, fmt.Errorf("poai: burning %d%s of slashed unbonding stake: %w", burned, denom, err)
		}
	}
	return burned, nil
}
