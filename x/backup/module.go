package backup

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
)

var (
	_ runtime.Module          = Module{}
	_ runtime.HasGenesis      = Module{}
	_ runtime.HasServices     = Module{}
	_ runtime.HasBeginBlock   = Module{}
	_ runtime.HasEndBlock     = Module{}
	_ runtime.HasMigrations   = Module{}
	_ runtime.HasTxCommand    = Module{}
	_ runtime.HasQueryCommand = Module{}
)

// ConsensusVersion is bumped with a migration whenever stored bytes change.
// 2: a proof answers its challenge in place and challengeable lists every
// challenged agreement (Keeper.Migrate1to2).
const ConsensusVersion = 2

// Module plugs the backup Keeper into the runtime: Msg and Query services,
// genesis, and the end-block hook (payments, ends, challenges).
type Module struct {
	runtime.Genesis[GenesisState, *GenesisState]
	keeper Keeper
}

func NewModule(k Keeper) Module {
	return Module{
		Genesis: runtime.Genesis[GenesisState, *GenesisState]{Default: DefaultGenesis, Init: k.InitGenesis, Export: k.ExportGenesis},
		keeper:  k,
	}
}

func (Module) Name() string             { return ModuleName }
func (Module) ConsensusVersion() uint64 { return ConsensusVersion }

// Keeper is the module's keeper (tests and tools).
func (m Module) Keeper() Keeper { return m.keeper }

func (Module) GetTxCmd() *cobra.Command    { return GetTxCmd() }
func (Module) GetQueryCmd() *cobra.Command { return GetQueryCmd() }

func (m Module) RegisterServices(r runtime.Registrars) {
	if r.Msg != nil {
		RegisterMsgServer(r.Msg, NewMsgServer(m.keeper))
	}
	if r.Query != nil {
		RegisterQueryServer(r.Query, NewQueryServer(m.keeper))
	}
}

// RegisterMigrations declares the store's consensus-version steps (x/upgrade runs them).
func (m Module) RegisterMigrations(r *runtime.Migrations) error {
	return r.Register(1, m.keeper.Migrate1to2)
}

func (m Module) BeginBlock(ctx context.Context) error { return m.keeper.BeginBlock(ctx) }

func (m Module) EndBlock(ctx context.Context) ([]abci.ValidatorUpdate, error) {
	return nil, m.keeper.EndBlock(ctx)
}
