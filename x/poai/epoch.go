package poai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"cosmossdk.io/collections"
	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
)

// change is one validator's move from its current power to its target.
type change struct {
	consAddr []byte
	key      ConsensusKey
	old, new int64
	target   int64 // the uncapped goal, when the cap applied
	forced   bool  // jailed / tombstoned: leaves at once, outside the 1/3 cap
}

// changeSet is every validator whose power may move this block, by consensus
// address. order is sorted (sortOrder) before anything iterates it: never iterate
// the map.
type changeSet struct {
	byAddr map[string]*change
	order  []string
}

func (cs *changeSet) add(c *change) {
	cs.byAddr[string(c.consAddr)] = c
	cs.order = append(cs.order, string(c.consAddr))
}

// applyUpdates computes, caps and applies the next validator powers. Outside an
// epoch end only forced exits (jailed this block) move; at an epoch end every
// validator's target comes from selectActiveSet. Its phases, in order:
// currentSet, mergeTargets (epoch end), capMoves, deferEntrantsOverRoom (epoch
// end), newTotals + refuseEmptySet (never an empty set), writeUpdates.
func (k Keeper) applyUpdates(ctx context.Context, p Params, ep *EpochInfo, h int64, epochEnd bool) ([]abci.ValidatorUpdate, error) {
	if !epochEnd { // the common block: nothing jailed, nothing to read
		it, err := k.Leaving.Iterate(ctx, nil)
		if err != nil {
			return nil, err
		}
		none := !it.Valid()
		it.Close()
		if none {
			return nil, nil
		}
	}
	cs, totalOld, err := k.currentSet(ctx, epochEnd)
	if err != nil {
		return nil, err
	}
	if epochEnd {
		if err := k.mergeTargets(ctx, p, cs, h, ep.Number); err != nil {
			return nil, err
		}
	}
	sort.Strings(cs.order)

	if epochEnd {
		ep.Carried = false
	}
	if capMoves(cs, totalOld) {
		ep.Carried = true
	}

	// While a capped move is under way, leaving members keep part of their power
	// as entrants gain theirs: the set may hold both. Entrants beyond what a block
	// carries (blockRoom) wait for a later epoch, the smallest first.
	if epochEnd {
		if err := k.deferEntrantsOverRoom(ctx, cs.byAddr, cs.order); err != nil {
			return nil, err
		}
	}

	totalNew, active := newTotals(cs)
	if totalNew == 0 {
		k.refuseEmptySet(ctx, totalOld, h)
		ep.TotalPower = totalOld
		return nil, nil
	}
	updates, err := k.writeUpdates(ctx, cs, h)
	if err != nil {
		return nil, err
	}
	ep.TotalPower, ep.ActiveValidators = totalNew, active
	return updates, nil
}

// currentSet reads the set CometBFT has (LastPowers): jailed or tombstoned
// members are forced out (power 0, outside the cap); at an epoch end every other
// member also goes to 0 unless selectActiveSet picks it again. It empties
// Leaving, whose members this covers. totalOld is the set's power.
func (k Keeper) currentSet(ctx context.Context, epochEnd bool) (*changeSet, int64, error) {
	cs := &changeSet{byAddr: map[string]*change{}}
	var totalOld int64
	err := k.LastPowers.Walk(ctx, nil, func(addr []byte, lp LastPower) (bool, error) {
		totalOld += lp.Power
		c := &change{consAddr: bytes.Clone(addr), key: lp.ConsensusKey, old: lp.Power, new: lp.Power}
		v, found, err := k.ValidatorByConsAddr(ctx, addr)
		if err != nil {
			return true, err
		}
		if found && (v.Jailed || v.Tombstoned) {
			c.new, c.forced = 0, true
		} else if epochEnd {
			c.new = 0 // stays only if selected below
		}
		cs.add(c)
		return false, nil
	})
	if err != nil {
		return nil, 0, err
	}
	if err := k.Leaving.Clear(ctx, nil); err != nil {
		return nil, 0, err
	}
	return cs, totalOld, nil
}

// mergeTargets sets each validator's goal to what selectActiveSet picked;
// selected validators outside the current set join cs.
func (k Keeper) mergeTargets(ctx context.Context, p Params, cs *changeSet, h int64, epoch uint64) error {
	targets, err := k.selectActiveSet(ctx, p, cs.byAddr, h, epoch)
	if err != nil {
		return err
	}
	for _, t := range targets {
		if c, ok := cs.byAddr[string(t.consAddr)]; ok {
			c.new = t.new
		} else {
			joining := t
			cs.add(&joining)
		}
	}
	return nil
}

// capMoves lets forced exits go first and uncapped, then scales every other move
// so the total moved power stays within a third of the set's power (the rest
// carries over to later blocks). It reports whether the cap applied; capped
// changes keep their goal in target.
func capMoves(cs *changeSet, totalOld int64) (capped bool) {
	var forcedOut, moved int64
	for _, a := range cs.order {
		c := cs.byAddr[a]
		if c.forced {
			forcedOut += c.old
		} else {
			moved += abs64(c.new - c.old)
		}
	}
	budget := (totalOld - forcedOut) / 3
	if totalOld <= 0 || moved <= max(budget, 1) {
		return false
	}
	budget = max(budget, 1)
	var used int64
	for _, a := range cs.order {
		c := cs.byAddr[a]
		c.target = c.new
		if c.forced || c.new == c.old {
			continue
		}
		d := c.new - c.old
		step := int64(mulDiv(uint64(abs64(d)), uint64(budget), uint64(moved)))
		used += step
		c.new = c.old + sign64(d)*step
	}
	// Floors lose less than one unit per change: hand the remainder out one unit each.
	for _, a := range cs.order {
		c := cs.byAddr[a]
		if used >= budget {
			break
		}
		if !c.forced && c.new != c.target {
			c.new += sign64(c.target - c.new)
			used++
		}
	}
	return true
}

// newTotals is the power and size of the set after the changes.
func newTotals(cs *changeSet) (totalNew int64, active uint32) {
	for _, a := range cs.order {
		if n := cs.byAddr[a].new; n > 0 {
			totalNew += n
			active++
		}
	}
	return totalNew, active
}

// refuseEmptySet logs and reports a move that would empty the set: CometBFT would
// halt on an empty set, so the old powers stay.
func (k Keeper) refuseEmptySet(ctx context.Context, totalOld, h int64) {
	if totalOld > 0 {
		runtime.Unwrap(ctx).Logger().Error("poai: the new validator set would be empty; keeping the current one", "height", h)
		runtime.Unwrap(ctx).EventManager().Emit("poai_empty_set_refused", "height", fmt.Sprint(h))
	}
}

// writeUpdates stores each changed power in LastPowers, records the members'
// entries and exits (setStatus) and returns the updates for CometBFT, in
// consensus-address order.
func (k Keeper) writeUpdates(ctx context.Context, cs *changeSet, h int64) ([]abci.ValidatorUpdate, error) {
	var updates []abci.ValidatorUpdate
	for _, a := range cs.order {
		c := cs.byAddr[a]
		if c.new == c.old {
			continue
		}
		u, err := validatorUpdate(c.key, c.new)
		if err != nil {
			return nil, err
		}
		updates = append(updates, u)
		if c.new == 0 {
			err = k.LastPowers.Remove(ctx, c.consAddr)
		} else {
			err = k.LastPowers.Set(ctx, c.consAddr, LastPower{ConsensusKey: c.key, Power: c.new})
		}
		if err != nil {
			return nil, err
		}
		if err := k.setStatus(ctx, c, h); err != nil {
			return nil, err
		}
	}
	return updates, nil
}

// deferEntrantsOverRoom zeroes the entrants (not in the set, given power now)
// that would take the set past blockRoom, lowest target power first (ties: the
// larger consensus address), so the set's commits always fit a block.
func (k Keeper) deferEntrantsOverRoom(ctx context.Context, changes map[string]*change, order []string) error {
	room, err := k.blockRoom(ctx)
	if err != nil {
		return err
	}
	var active uint32
	var entrants []*change
	for _, a := range order { // sorted: deterministic
		c := changes[a]
		if c.new > 0 {
			active++
			if c.old == 0 {
				entrants = append(entrants, c)
			}
		}
	}
	if active <= room {
		return nil
	}
	// target is set when the move was capped; otherwise new is the target.
	goal := func(c *change) int64 { return max(c.target, c.new) }
	sort.SliceStable(entrants, func(i, j int) bool { return goal(entrants[i]) > goal(entrants[j]) })
	for i := len(entrants) - 1; i >= 0 && active > room; i-- {
		entrants[i].new = 0
		active--
	}
	return nil
}

// setStatus records a validator's entry into or exit from the set.
func (k Keeper) setStatus(ctx context.Context, c *change, h int64) error {
	v, found, err := k.ValidatorByConsAddr(ctx, c.consAddr)
	if err != nil || !found {
		return err
	}
	switch {
	case c.new > 0:
		v.Status = STATUS_BONDED
	case c.old > 0:
		v.Status = STATUS_UNBONDING
		v.UnbondingHeight = h
	}
	return k.setValidator(ctx, v)
}

// candidate is a validator eligible for the active set.
type candidate struct {
	v      Validator
	weight uint64
	power  int64
}

// selectActiveSet runs once per epoch over every validator record (bounded by
// MaxValidatorRecords): it updates statuses, decays penalties, recomputes
// reputations, appends to each validator's reputation history, and returns the
// target set: the top max_validators by stake × reputation (ties: larger stake,
// then consensus address), topped up to min_validators with zero-weight candidates
// and then with current members; both bounds within the block room (blockRoom).
func (k Keeper) selectActiveSet(ctx context.Context, p Params, current map[string]*change, h int64, epoch uint64) ([]change, error) {
	maxN, minN, err := k.activeBounds(ctx, p)
	if err != nil {
		return nil, err
	}
	var cands []candidate
	var updated []Validator
	err = k.Validators.Walk(ctx, nil, func(_ []byte, v Validator) (bool, error) {
		if v.Status == STATUS_UNBONDING && h >= v.UnbondingHeight+p.UnbondingPeriod {
			v.Status = STATUS_UNBONDED
		}
		v.Penalty /= 2 // penalties fade: halved every epoch
		if v.Tombstoned {
			v.Penalty = PPM
		}
		v.Reputation = computeReputation(v.AgreementAvg, v.SignedAvg, v.Penalty, p)
		updated = append(updated, v)
		if !v.Jailed && !v.Tombstoned && v.SelfStake >= p.MinSelfStake && powerOf(v.SelfStake) > 0 {
			cands = append(cands, candidate{v: v, weight: weightOf(v.SelfStake, v.Reputation), power: powerOf(v.SelfStake)})
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.weight != b.weight {
			return a.weight > b.weight
		}
		if a.v.SelfStake != b.v.SelfStake {
			return a.v.SelfStake > b.v.SelfStake
		}
		return bytes.Compare(a.v.ConsensusAddress, b.v.ConsensusAddress) < 0
	})
	var targets []change
	chosen := map[string]bool{}
	pick := func(c candidate) {
		chosen[string(c.v.ConsensusAddress)] = true
		targets = append(targets, change{consAddr: c.v.ConsensusAddress, key: c.v.ConsensusKey, new: c.power})
	}
	for _, c := range cands { // weight > 0 first (cands are sorted by weight)
		if uint32(len(targets)) == maxN || c.weight == 0 {
			break
		}
		pick(c)
	}
	for _, c := range cands { // the floor: zero-weight candidates
		if uint32(len(targets)) >= minN {
			break
		}
		if !chosen[string(c.v.ConsensusAddress)] {
			pick(c)
		}
	}
	if uint32(len(targets)) < minN { // still short: keep current members (not forced out)
		var keep []*change
		for _, c := range current {
			if !c.forced && c.old > 0 && !chosen[string(c.consAddr)] {
				keep = append(keep, c)
			}
		}
		sort.Slice(keep, func(i, j int) bool {
			if keep[i].old != keep[j].old {
				return keep[i].old > keep[j].old
			}
			return bytes.Compare(keep[i].consAddr, keep[j].consAddr) < 0
		})
		for _, c := range keep {
			if uint32(len(targets)) >= minN {
				break
			}
			chosen[string(c.consAddr)] = true
			targets = append(targets, change{consAddr: c.consAddr, key: c.key, new: c.old})
		}
	}

	for _, v := range updated {
		if err := k.recordHistory(ctx, &v, h, epoch, current); err != nil {
			return nil, err
		}
		if err := k.setValidator(ctx, v); err != nil {
			return nil, err
		}
	}
	return targets, nil
}

// recordHistory writes v's reputation into its ring of ReputationHistoryLen entries.
func (k Keeper) recordHistory(ctx context.Context, v *Validator, h int64, epoch uint64, current map[string]*change) error {
	var power int64
	if c, ok := current[string(v.ConsensusAddress)]; ok {
		power = c.old
	}
	rec := ReputationRecord{Height: h, Epoch: epoch, Reputation: v.Reputation, AgreementAvg: v.AgreementAvg,
		SignedAvg: v.SignedAvg, Penalty: v.Penalty, Power: power}
	slot := v.HistoryNext % ReputationHistoryLen
	v.HistoryNext++
	return k.History.Set(ctx, collections.Join([]byte(operatorOf(*v)), slot), rec)
}

// prune removes expired rate limits and flagged txs older than flagged_retention,
// at most MaxPrunePerBlock of each per block.
func (k Keeper) prune(ctx context.Context, p Params, h int64) error {
	var expired []collections.Pair[int64, []byte]
	rng := new(collections.Range[collections.Pair[int64, []byte]]).
		EndExclusive(collections.Join(h+1, []byte{}))
	err := k.RateLimitQueue.Walk(ctx, rng, func(key collections.Pair[int64, []byte]) (bool, error) {
		expired = append(expired, collections.Join(key.K1(), bytes.Clone(key.K2())))
		return len(expired) == MaxPrunePerBlock, nil
	})
	if err != nil {
		return err
	}
	for _, key := range expired {
		if err := k.RateLimitQueue.Remove(ctx, key); err != nil {
			return err
		}
		until, err := k.RateLimits.Get(ctx, key.K2())
		if err == nil && until == key.K1() {
			if err = k.RateLimits.Remove(ctx, key.K2()); err == nil {
				err = k.addRateLimitCount(ctx, -1)
			}
		}
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			return err
		}
	}
	cutoff := h - p.FlaggedRetention
	if cutoff <= 0 {
		return nil
	}
	var old []collections.Pair[int64, uint32]
	frng := new(collections.Range[collections.Pair[int64, uint32]]).EndExclusive(collections.Join(cutoff, uint32(0)))
	err = k.Flagged.Walk(ctx, frng, func(key collections.Pair[int64, uint32], _ FlaggedTx) (bool, error) {
		old = append(old, key)
		return len(old) == MaxPrunePerBlock, nil
	})
	if err != nil {
		return err
	}
	for _, key := range old {
		if err := k.Flagged.Remove(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func sign64(x int64) int64 {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
