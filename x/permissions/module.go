package permissions

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
	_ runtime.HasEndBlock     = Module{}
	_ runtime.HasTxCommand    = Module{}
	_ runtime.HasQueryCommand = Module{}
)

// ConsensusVersion is bumped with a migration whenever stored bytes change.
const ConsensusVersion = 1

// Module plugs the permissions Keeper into the runtime: Msg and Query services,
// genesis, and expiry pruning at the end of each block.
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

// GetTxCmd and GetQueryCmd are the package's commands (cli*.go): `selfchaind tx|query permissions`.
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

// EndBlock prunes expired grants (bounded by max_prune_per_block). At the end, not
// the start: a tx using a grant that has just expired then fails with "grant
// expired", which says what happened, rather than "no grant".
func (m Module) EndBlock(ctx context.Context) ([]abci.ValidatorUpdate, error) {
	_, err := m.keeper.PruneExpired(ctx)
	return nil, err
}
