package registry

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
)

// Index kinds: one letter each, so index keys stay short.
const (
	kindModel  = "m"
	kindRegion = "r"
	kindTier   = "t"
	kindStatus = "s"
)

// indexAdd and indexRemove keep the (kind, value, node id) index; a listing intersects
// its ranges, so no per-value counts are needed.
func (k Keeper) indexAdd(ctx context.Context, kind, value, id string) error {
	return k.Index.Set(ctx, collections.Join3(kind, value, id))
}

func (k Keeper) indexRemove(ctx context.Context, kind, value, id string) error {
	return k.Index.Remove(ctx, collections.Join3(kind, value, id))
}

type attr struct{ kind, value string }

// attrs are a node's entries in the attribute indexes (which hold non-expired nodes only).
func attrs(n *Node) []attr {
	out := make([]attr, 0, len(n.Capabilities.Models)+2)
	for _, m := range n.Capabilities.Models {
		out = append(out, attr{kindModel, m})
	}
	return append(out, attr{kindRegion, n.Region}, attr{kindTier, n.Tier.String()})
}

func (k Keeper) addAttrs(ctx context.Context, n *Node) error {
	for _, a := range attrs(n) {
		if err := k.indexAdd(ctx, a.kind, a.value, n.Id); err != nil {
			return err
		}
	}
	return nil
}

func (k Keeper) removeAttrs(ctx context.Context, n *Node) error {
	for _, a := range attrs(n) {
		if err := k.indexRemove(ctx, a.kind, a.value, n.Id); err != nil {
			return err
		}
	}
	return nil
}

// hbSet is the liveness set a non-expired status lives in.
func (k Keeper) hbSet(s Status) (collections.KeySet[hbKey], error) {
	switch s {
	case STATUS_ACTIVE:
		return k.ActiveByHB, nil
	case STATUS_STALE:
		return k.StaleByHB, nil
	}
	return collections.KeySet[hbKey]{}, fmt.Errorf("registry: status %s has no liveness set", s)
}

// track puts a node into the liveness structures for l (status index, liveness set,
// attribute indexes when not expired). untrack undoes exactly that.
func (k Keeper) track(ctx context.Context, n *Node, l Liveness) error {
	if err := k.indexAdd(ctx, kindStatus, l.Status.String(), n.Id); err != nil {
		return err
	}
	if l.Status == STATUS_EXPIRED {
		return nil
	}
	set, err := k.hbSet(l.Status)
	if err != nil {
		return err
	}
	if err := set.Set(ctx, collections.Join(uint64(l.LastHeartbeatHeight), n.Id)); err != nil {
		return err
	}
	return k.addAttrs(ctx, n)
}

func (k Keeper) untrack(ctx context.Context, n *Node, l Liveness) error {
	if err := k.indexRemove(ctx, kindStatus, l.Status.String(), n.Id); err != nil {
		return err
	}
	if l.Status == STATUS_EXPIRED {
		return nil
	}
	set, err := k.hbSet(l.Status)
	if err != nil {
		return err
	}
	if err := set.Remove(ctx, collections.Join(uint64(l.LastHeartbeatHeight), n.Id)); err != nil {
		return err
	}
	return k.removeAttrs(ctx, n)
}
