package poai

import (
	"context"
	"fmt"

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
	_ runtime.HasInitChain    = Module{}
	_ runtime.HasTxCommand    = Module{}
	_ runtime.HasQueryCommand = Module{}
	_ runtime.HasMigrations   = Module{}
)

// ConsensusVersion is bumped with a migration whenever stored bytes change.
// 2: consensus keys are checked and proven (key_proofs, used_cons_addrs;
// Keeper.Migrate1to2). 3: lagged scoring (pending_scores, reports, the
// score_window param; Keeper.Migrate2to3).
const ConsensusVersion = 3

// Module plugs the poai Keeper into the runtime. It must come after bank in the
// manager: its EndBlock moves the block's fees and mints inflation.
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

// GetTxCmd and GetQueryCmd are the package's commands (cli*.go): `selfchaind tx|query poai`.
func (Module) GetTxCmd() *cobra.Command    { return GetTxCmd() }
func (Module) GetQueryCmd() *cobra.Command { return GetQueryCmd() }

// RegisterMigrations declares the store's consensus-version steps (x/upgrade runs them).
func (m Module) RegisterMigrations(r *runtime.Migrations) error {
	if err := r.Register(1, m.keeper.Migrate1to2); err != nil {
		return err
	}
	return r.Register(2, m.keeper.Migrate2to3)
}

func (m Module) RegisterServices(r runtime.Registrars) {
	if r.Msg != nil {
		RegisterMsgServer(r.Msg, NewMsgServer(m.keeper))
	}
	if r.Query != nil {
		RegisterQueryServer(r.Query, NewQueryServer(m.keeper))
	}
}

// InitChain applies what CometBFT's genesis says beyond app_state, after every
// module's InitGenesis: the validator key types its consensus params allow (a
// validator update with another type would halt CometBFT), the genesis validators,
// which become CometBFT's initial set (with none, CometBFT keeps its own and PoAI
// records them), and how many validators a block carries (SetBlockRoom).
func (m Module) InitChain(ctx context.Context, g runtime.ChainGenesis) ([]abci.ValidatorUpdate, error) {
	if cp := g.ConsensusParams; cp != nil && cp.Validator != nil {
		if err := m.keeper.SetAllowedKeyTypes(ctx, cp.Validator.PubKeyTypes); err != nil {
			return nil, err
		}
	}
	vals, err := m.keeper.InitialValidatorUpdates(ctx, g.Validators)
	if err != nil {
		return nil, fmt.Errorf("validators: %w", err)
	}
	if err := m.keeper.SetBlockRoom(ctx, g.MaxValidators); err != nil {
		return nil, err
	}
	return vals, nil
}

func (m Module) BeginBlock(ctx context.Context) error { return m.keeper.BeginBlock(ctx) }

func (m Module) EndBlock(ctx context.Context) ([]abci.ValidatorUpdate, error) {
	return m.keeper.EndBlock(ctx)
}
