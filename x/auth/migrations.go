package auth

import "context"

// Migrate1to2 moves an auth store written at consensus version 1 to version 2,
// which added the param max_tx_gas: version-1 params decode with it 0, which
// Validate refuses, so it is set to DefaultMaxTxGas. Idempotent. Registered in
// RegisterMigrations: an upgrade's RunMigrations calls it at the upgrade height.
func (k Keeper) Migrate1to2(ctx context.Context) error {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if p.MaxTxGas != 0 {
		return nil
	}
	p.MaxTxGas = DefaultMaxTxGas
	return k.SetParams(ctx, p)
}
