package poai

import (
	"context"
	"fmt"
	"math"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/types"
)

// mintInflation mints inflation_per_block into the rewards pool while a validator
// set exists (not before: nobody could earn it).
func (k Keeper) mintInflation(ctx context.Context, p Params, ep EpochInfo) error {
	if p.InflationPerBlock == 0 || ep.TotalPower == 0 {
		return nil
	}
	return k.bank.MintCoins(ctx, RewardsPool, types.Coins{types.NewCoin(p.BondDenom, p.InflationPerBlock)})
}

// distributeRewards moves the fees collected in bond denom to the rewards pool and
// credits everything not yet owed to the active set, by weight (stake ×
// reputation; by power when every weight is 0). The commission share and the rest
// both accrue to the operator while stake is self-stake only; rounding dust stays
// in the pool for the next epoch. Work: one pass over the active set.
func (k Keeper) distributeRewards(ctx context.Context, p Params) (uint64, error) {
	if k.feeCollector.Empty() {
		return 0, fmt.Errorf("poai: keeper built without a fee collector (poai.WithFeeCollector): cannot collect fees")
	}
	fees, err := k.bank.GetBalance(ctx, k.feeCollector, p.BondDenom)
	if err != nil {
		return 0, err
	}
	if !fees.IsZero() {
		amt := uint64(math.MaxUint64 / 4) // a fee pot beyond 2^62 moves over several epochs
		if fees.IsUint64() {
			amt = min(fees.Uint64(), amt)
		}
		if err := k.bank.SendCoins(ctx, k.feeCollector, RewardsPool, types.Coins{types.NewCoin(p.BondDenom, amt)}); err != nil {
			return 0, err
		}
	}
	pool, err := k.bank.GetBalance(ctx, RewardsPool, p.BondDenom)
	if err != nil {
		return 0, err
	}
	owed, err := getOr(ctx, k.Owed, 0)
	if err != nil {
		return 0, err
	}
	poolAmt := uint64(math.MaxUint64 / 4)
	if pool.IsUint64() {
		poolAmt = min(pool.Uint64(), poolAmt)
	}
	if poolAmt <= owed {
		return 0, nil
	}
	distributable := poolAmt - owed

	type payee struct {
		v      Validator
		weight uint64
	}
	var payees []payee
	var total, totalPower uint64
	err = k.LastPowers.Walk(ctx, nil, func(addr []byte, lp LastPower) (bool, error) {
		v, found, err := k.ValidatorByConsAddr(ctx, addr)
		if err != nil || !found || v.Tombstoned {
			return err != nil, err
		}
		w := weightOf(v.SelfStake, v.Reputation)
		payees = append(payees, payee{v: v, weight: w})
		total += w
		totalPower += uint64(lp.Power)
		return false, nil
	})
	if err != nil || len(payees) == 0 {
		return 0, err
	}
	if total == 0 { // every reputation is 0: fall back to power so rewards still flow
		total = 0
		for i := range payees {
			lp, err := k.LastPowers.Get(ctx, payees[i].v.ConsensusAddress)
			if err != nil {
				return 0, err
			}
			payees[i].weight = uint64(lp.Power)
			total += uint64(lp.Power)
		}
		if total == 0 {
			return 0, nil
		}
	}
	var paid uint64
	em := runtime.Unwrap(ctx).EventManager()
	for _, pe := range payees {
		share := mulDiv(distributable, pe.weight, total)
		if share == 0 {
			continue
		}
		commission := fraction(share, pe.v.Commission)
		pe.v.OutstandingRewards += share
		pe.v.TotalRewards += share
		paid += share
		if err := k.setValidator(ctx, pe.v); err != nil {
			return 0, err
		}
		em.Emit("poai_rewards", "operator", pe.v.OperatorAddress, "amount", fmt.Sprint(share)+p.BondDenom,
			"commission", fmt.Sprint(commission)+p.BondDenom)
	}
	return paid, k.Owed.Set(ctx, owed+paid)
}

// withdrawRewards pays v's outstanding rewards to its operator.
func (k Keeper) withdrawRewards(ctx context.Context, v *Validator, denom string) (uint64, error) {
	amt := v.OutstandingRewards
	if amt == 0 {
		return 0, ErrNoRewards.Wrapf("validator %s has no outstanding rewards; they are credited at each epoch end", v.OperatorAddress)
	}
	owed, err := getOr(ctx, k.Owed, 0)
	if err != nil {
		return 0, err
	}
	if owed < amt {
		return 0, fmt.Errorf("poai invariant broken: owed %d below a validator's outstanding %d", owed, amt)
	}
	if err := k.bank.SendCoins(ctx, RewardsPool, operatorOf(*v), types.Coins{types.NewCoin(denom, amt)}); err != nil {
		return 0, err
	}
	v.OutstandingRewards = 0
	return amt, k.Owed.Set(ctx, owed-amt)
}
