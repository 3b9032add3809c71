package auth

import (
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
)

var (
	_ runtime.Module          = Module{}
	_ runtime.HasGenesis      = Module{}
	_ runtime.HasServices     = Module{}
	_ runtime.HasQueryCommand = Module{}
	_ runtime.HasMigrations   = Module{}
)

// ConsensusVersion is bumped with a migration whenever stored bytes change.
const ConsensusVersion = 2

// Module plugs the auth Keeper into the runtime. auth has no Msg service:
// accounts change only through the ante pipeline and other modules.
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

// GetQueryCmd is the package's command (cli.go): `selfchaind query auth`.
func (Module) GetQueryCmd() *cobra.Command { return GetQueryCmd() }

func (Module) Name() string             { return ModuleName }
func (Module) ConsensusVersion() uint64 { return ConsensusVersion }

func (m Module) RegisterServices(r runtime.Registrars) {
	if r.Query != nil {
		RegisterQueryServer(r.Query, NewQueryServer(m.keeper))
	}
}

// RegisterMigrations declares the store's consensus-version steps (x/upgrade runs them).
func (m Module) RegisterMigrations(r *runtime.Migrations) error {
	return r.Register(1, m.keeper.Migrate1to2)
}
