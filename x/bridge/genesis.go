package bridge

import (
	"context"
	"fmt"
)

// DefaultGenesis has default params and no clients. Clients are not exported: a new
// chain made from exported state creates fresh clients of its counterparties.
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
	p, err := k.GetParams(ctx)
	return GenesisState{Params: p}, err
}
