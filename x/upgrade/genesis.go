package upgrade

import (
	"context"
	"fmt"
)

// DefaultGenesis names no authority (the gov module address). Plans, applied plans
// and module versions are not exported: a chain made from exported state starts
// its own history, and the app records its modules' versions at InitChain.
func DefaultGenesis() GenesisState { return GenesisState{Params: DefaultParams()} }

func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params.%w", err)
	}
	return nil
}

func (k Keeper) InitGenesis(ctx context.Context, gs GenesisState) error {
	return k.Params.Set(ctx, gs.Params)
}

func (k Keeper) ExportGenesis(ctx context.Context) (GenesisState, error) {
	p, err := k.Params.Get(ctx)
	return GenesisState{Params: p}, err
}
