package permissions

import (
	"context"
	"strconv"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
)

// PruneExpired deletes grants that can no longer be used — expiry height below the
// block height, or expiry time at or before the block time — at most
// max_prune_per_block of them, oldest expiry first; the rest wait for later blocks.
// Expired grants are already refused by Decide, so pruning only reclaims state and
// its pace changes no decision. It reads nothing when nothing has expired, so an
// empty block leaves the app hash unchanged.
func (k Keeper) PruneExpired(ctx context.Context) (int, error) {
	rctx := runtime.Unwrap(ctx)
	p, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	budget := int(p.MaxPrunePerBlock)
	byHeight, err := k.expiredKeys(ctx, k.ExpiryByHeight, rctx.BlockHeight()-1, budget)
	if err != nil {
		return 0, err
	}
	var byTime []expiryKey
	if now := blockUnix(rctx); now > 0 && len(byHeight) < budget {
		if byTime, err = k.expiredKeys(ctx, k.ExpiryByTime, now, budget-len(byHeight)); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, key := range append(byHeight, byTime...) {
		user := crypto.Address(key.K2())
		g, found, err := k.GetGrant(ctx, user, key.K3())
		if err != nil {
			return n, err
		}
		if !found { // cannot happen while the index invariant holds; drop the stray entry
			if err := k.ExpiryByHeight.Remove(ctx, key); err != nil {
				return n, err
			}
			if err := k.ExpiryByTime.Remove(ctx, key); err != nil {
				return n, err
			}
			continue
		}
		if err := k.deleteGrant(ctx, user, g); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		rctx.EventManager().Emit(EventTypePrune, "grants", strconv.Itoa(n))
	}
	return n, nil
}

// expiredKeys returns up to limit index keys whose expiry is <= upTo.
func (k Keeper) expiredKeys(ctx context.Context, idx collections.Map[expiryKey, bool], upTo int64, limit int) ([]expiryKey, error) {
	if upTo <= 0 || limit <= 0 {
		return nil, nil
	}
	var out []expiryKey
	err := idx.Walk(ctx, collections.NewPrefixUntilTripleRange[int64, []byte, string](upTo), func(key expiryKey, _ bool) (bool, error) {
		out = append(out, key)
		return len(out) >= limit, nil
	})
	return out, err
}
