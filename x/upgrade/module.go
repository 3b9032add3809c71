package upgrade

import (
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
)

var (
	_ runtime.Module          = Module{}
	_ runtime.HasGenesis      = Module{}
	_ runtime.HasServices     = Module{}
	_ runtime.HasTxCommand    = Module{}
	_ runtime.HasQueryCommand = Module{}
)

// ConsensusVersion is bumped with a migration whenever stored bytes change.
const ConsensusVersion = 1

// Module plugs the upgrade Keeper into the runtime. Halting at a plan's height and
// running its handler are the app's (app/upgrades.go): they need the module list
// and the store, which a module does not see.
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
