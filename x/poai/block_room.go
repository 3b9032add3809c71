package poai

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
)

// CometBFT panics when a block cannot hold its header, the validator set's last
// commit and the evidence it allows (types.MaxDataBytes), and a proposer whose
// PoAI extended commit does not fit proposes a block every node rejects: either
// way the chain stops. With ML-DSA-65 keys a validator costs ~3.4 KB of commit and
// up to ~7.4 KB of extended commit, so a max_validators CometBFT would accept can
// still outgrow block.max_bytes. The app computes from the consensus params how
// many validators a block carries (app.MaxActiveValidators) and records it here;
// the active set never grows past it.

// SetBlockRoom records the largest active set the chain's blocks carry.
func (k Keeper) SetBlockRoom(ctx context.Context, n uint32) error {
	return k.BlockRoom.Set(ctx, uint64(n))
}

// blockRoom is the recorded bound, or MaxActiveValidators when none is.
func (k Keeper) blockRoom(ctx context.Context) (uint32, error) {
	n, err := k.BlockRoom.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return MaxActiveValidators, nil
	}
	if err != nil {
		return 0, err
	}
	return uint32(min(n, MaxActiveValidators)), nil
}

// activeBounds are the params' max and min active set sizes within the block room.
func (k Keeper) activeBounds(ctx context.Context, p Params) (maxN, minN uint32, err error) {
	room, err := k.blockRoom(ctx)
	if err != nil {
		return 0, 0, err
	}
	return min(p.MaxValidators, room), min(p.MinValidators, room), nil
}

// checkBlockRoom refuses a max_validators the chain's blocks cannot carry.
func (k Keeper) checkBlockRoom(ctx context.Context, p Params) error {
	room, err := k.blockRoom(ctx)
	if err != nil {
		return err
	}
	if p.MaxValidators > room {
		return ErrInvalidParams.Wrapf("max_validators %d: this chain's blocks (consensus block.max_bytes and evidence.max_bytes) carry the commits of at most %d validators; lower it, or raise block.max_bytes first", p.MaxValidators, room)
	}
	return nil
}
