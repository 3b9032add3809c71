package poai

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
)

// Rate limits: a sender whose tx the validators flagged (RecordTxRisks) is
// refused by the ante pipeline (IsRateLimited) for rate_limit_window blocks;
// EndBlock's prune removes expired limits.

// rateLimit extends (never shortens) addr's rate limit to until.
func (k Keeper) rateLimit(ctx context.Context, addr []byte, until int64) error {
	prev, err := k.RateLimits.Get(ctx, addr)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		if err := k.addRateLimitCount(ctx, 1); err != nil {
			return err
		}
	case err != nil:
		return err
	case prev >= until:
		return nil
	default:
		if err := k.RateLimitQueue.Remove(ctx, collections.Join(prev, addr)); err != nil {
			return err
		}
	}
	if err := k.RateLimits.Set(ctx, addr, until); err != nil {
		return err
	}
	return k.RateLimitQueue.Set(ctx, collections.Join(until, bytes.Clone(addr)))
}

// addRateLimitCount moves RateLimitCount by delta (+1 for a new limit, -1 for a removed one).
func (k Keeper) addRateLimitCount(ctx context.Context, delta int64) error {
	n, err := k.RateLimitCount.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if delta < 0 && n == 0 {
		return fmt.Errorf("rate-limit count would go below zero: state is corrupt")
	}
	return k.RateLimitCount.Set(ctx, uint64(int64(n)+delta))
}

// IsRateLimited is what the ante pipeline asks about a tx signer: true while a
// flagged tx of addr is within its rate_limit_window.
func (k Keeper) IsRateLimited(ctx context.Context, addr []byte) (bool, error) {
	if n, err := k.RateLimitCount.Get(ctx); errors.Is(err, collections.ErrNotFound) || (err == nil && n == 0) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	until, err := k.RateLimits.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return runtime.Unwrap(ctx).BlockHeight() < until, nil
}

// RateLimitError explains a refusal to the sender (the ante pipeline's message).
func (k Keeper) RateLimitError(ctx context.Context, addr []byte) error {
	until, _ := k.RateLimits.Get(ctx, addr)
	return ErrRateLimited.Wrapf("%s may send again from height %d (query flagged txs: selfchaind query poai flagged)",
		crypto.Address(addr), until)
}
