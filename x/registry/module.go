package registry

import (
	"context"
	"encoding/json"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
)

var (
	_ runtime.Module      = Module{}
	_ runtime.HasGenesis  = Module{}
	_ runtime.HasServices = Module{}
	_ runtime.HasEndBlock = Module{}
)

// ConsensusVersion is bumped with a migration whenever stored bytes change.
const ConsensusVersion = 1

// Module plugs the registry Keeper into the runtime: Msg and Query services, genesis
// and the liveness sweep in EndBlock.
type Module struct{ keeper Keeper }

func NewModule(k Keeper) Module { return Module{keeper: k} }

func (Module) Name() string             { return ModuleName }
func (Module) ConsensusVersion() uint64 { return ConsensusVersion }

func (Module) DefaultGenesis() json.RawMessage {
	gs := DefaultGenesis()
	bz, err := runtime.MarshalGenesis(&gs)
	if err != nil {
		panic(err) // a fixed value always marshals
	}
	return bz
}

func (Module) ValidateGenesis(data json.RawMessage) error {
	var gs GenesisState
	if err := runtime.UnmarshalGenesis(data, &gs); err != nil {
		return err
	}
	return gs.Validate()
}

func (m Module) InitGenesis(ctx context.Context, data json.RawMessage) error {
	var gs GenesisState
	if err := runtime.UnmarshalGenesis(data, &gs); err != nil {
		return err
	}
	return m.keeper.InitGenesis(ctx, gs)
}

func (m Module) ExportGenesis(ctx context.Context) (json.RawMessage, error) {
	gs, err := m.keeper.ExportGenesis(ctx)
	if err != nil {
		return nil, err
	}
	return runtime.MarshalGenesis(&gs)
}

func (m Module) RegisterServices(r runtime.Registrars) {
	if r.Msg != nil {
		RegisterMsgServer(r.Msg, NewMsgServer(m.keeper))
	}
	if r.Query != nil {
		RegisterQueryServer(r.Query, NewQueryServer(m.keeper))
	}
}

// EndBlock runs the liveness sweep; it returns no validator updates.
func (m Module) EndBlock(ctx context.Context) ([]abci.ValidatorUpdate, error) {
	return nil, m.keeper.EndBlock(ctx)
}
