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
		if err := k.bank.SendCoins(ctx, BondedPool, to, types.Coins{types.NewCoin(p.BondDenom, d.e.Amount)}); err != nil {
			return fmt.Errorf("poai: paying unbonding of %s: %w", d.e.OperatorAddress, err)
		}
		if err := k.Unbonding.Remove(ctx, d.key); err != nil {
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

func joinUnbonding(done int64, seq uint64) collections.Pair[int64, uint64] {
	return collections.Join(done, seq)
}
