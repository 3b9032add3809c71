package backup

import "context"

// Migrate1to2 moves a backup store written at consensus version 1 to version 2.
//
// Version 1 removed a challenge when its proof came and put the agreement back
// in challengeable (two writes a proof); an agreement was in exactly one of the
// two. Version 2 answers a challenge in place (Challenge.answered_height, one
// write a proof) and challengeable lists every active or ending agreement with
// a manifest, challenged or not. So each agreement with a stored challenge
// joins challengeable. Every stored version-1 challenge is open, which is what
// answered_height 0 means: their bytes stay. No other collection changes.
//
// Registered in RegisterMigrations: an upgrade's RunMigrations calls it once,
// at the upgrade height, before the block's BeginBlock. It is idempotent.
func (k Keeper) Migrate1to2(ctx context.Context) error {
	var ids []uint64 // collected first: no writes while iterating the store
	err := k.Challenges.Walk(ctx, nil, func(id uint64, _ Challenge) (bool, error) {
		ids = append(ids, id)
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := k.Challengeable.Set(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
