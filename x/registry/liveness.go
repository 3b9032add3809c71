package registry

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
)

// Event types of liveness transitions.
const (
	EventTypeNodeStale   = "registry_node_stale"
	EventTypeNodeExpired = "registry_node_expired"
	AttributeKeyNodeID   = "node_id"
)

// EndBlock moves nodes that crossed a threshold at this height: active nodes whose last
// heartbeat is at least stale_after_blocks old become stale, stale ones at least
// expire_after_blocks old expire. The sets are ordered by heartbeat height, so each
// block reads only the nodes it changes, at most max_transitions_per_block of each kind;
// the rest (a backlog after a mass outage) carry over to the next blocks.
func (k Keeper) EndBlock(ctx context.Context) error {
	c := runtime.Unwrap(ctx)
	h := c.BlockHeight()
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	limit := int(p.MaxTransitionsPerBlock)
	if cutoff := h - p.StaleAfterBlocks; cutoff >= 0 {
		due, err := firstUpTo(ctx, k.ActiveByHB, uint64(cutoff), limit)
		if err != nil {
			return err
		}
		for _, key := range due {
			if err := k.transition(ctx, key, STATUS_ACTIVE, STATUS_STALE); err != nil {
				return err
			}
			c.EventManager().Emit(EventTypeNodeStale, AttributeKeyNodeID, key.K2())
		}
	}
	if cutoff := h - p.ExpireAfterBlocks; cutoff >= 0 {
		due, err := firstUpTo(ctx, k.StaleByHB, uint64(cutoff), limit)
		if err != nil {
			return err
		}
		for _, key := range due {
			if err := k.transition(ctx, key, STATUS_STALE, STATUS_EXPIRED); err != nil {
				return err
			}
			c.EventManager().Emit(EventTypeNodeExpired, AttributeKeyNodeID, key.K2())
		}
	}
	return nil
}

// firstUpTo returns the (at most limit) oldest keys of set with heartbeat height <= cutoff.
// Keys are collected before any change: the set is not modified while iterated.
func firstUpTo(ctx context.Context, set collections.KeySet[hbKey], cutoff uint64, limit int) ([]hbKey, error) {
	it, err := set.Iterate(ctx, collections.NewPrefixUntilPairRange[uint64, string](cutoff))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []hbKey
	for ; it.Valid() && len(out) < limit; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, nil
}

// transition moves one node between statuses; its liveness must say from. Only an expiry
// reads the node record (to drop its attribute indexes); staleness touches just the sets.
func (k Keeper) transition(ctx context.Context, key hbKey, from, to Status) error {
	id := key.K2()
	l, err := k.Liveness.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("registry: liveness set names node %s without liveness: %w", id, err)
	}
	if l.Status != from || uint64(l.LastHeartbeatHeight) != key.K1() {
		return fmt.Errorf("registry: node %s is %s at %d, its set entry says %s at %d", id, l.Status, l.LastHeartbeatHeight, from, key.K1())
	}
	fromSet, err := k.hbSet(from)
	if err != nil {
		return err
	}
	if err := fromSet.Remove(ctx, key); err != nil {
		return err
	}
	if err := k.indexRemove(ctx, kindStatus, from.String(), id); err != nil {
		return err
	}
	if err := k.indexAdd(ctx, kindStatus, to.String(), id); err != nil {
		return err
	}
	if to == STATUS_EXPIRED {
		n, err := k.Nodes.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("registry: liveness set names unknown node %s: %w", id, err)
		}
		if err := k.removeAttrs(ctx, &n); err != nil {
			return err
		}
	} else {
		toSet, err := k.hbSet(to)
		if err != nil {
			return err
		}
		if err := toSet.Set(ctx, key); err != nil {
			return err
		}
	}
	l.Status = to
	return k.Liveness.Set(ctx, id, l)
}
