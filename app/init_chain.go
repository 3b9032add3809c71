package app

import (
	"context"
	"encoding/json"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
)

// InitChain loads genesis app_state into the working state; block 1 commits it.
// A genesis error is returned as an error: the node cannot start on a bad genesis,
// and the message names the bad field.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	if req.ChainId == "" {
		return nil, fmt.Errorf("genesis: chain_id is empty")
	}
	if err := a.db.SetSync(chainIDKey, []byte(req.ChainId)); err != nil {
		return nil, err
	}
	a.chainID = req.ChainId
	// The injected-commit path follows the genesis vote-extension enable height.
	if err := a.initVoteExtensions(req.ConsensusParams); err != nil {
		return nil, err
	}
	if err := a.initBlockParams(req.ConsensusParams); err != nil {
		return nil, err
	}
	if req.InitialHeight > 1 {
		if err := a.cms.SetInitialVersion(req.InitialHeight); err != nil {
			return nil, err
		}
	}

	state := map[string]json.RawMessage{}
	if len(req.AppStateBytes) > 0 {
		if err := json.Unmarshal(req.AppStateBytes, &state); err != nil {
			return nil, fmt.Errorf("genesis app_state is not a JSON object: %w", err)
		}
	}
	branch := a.cms.Working()
	ctx := runtime.NewContext(context.Background(), branch, runtime.Header{
		ChainID: req.ChainId, Height: req.InitialHeight, Time: req.Time,
	}, runtime.ModeGenesis, a.logger)
	if err := a.mm.InitGenesis(ctx, state); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	// x/upgrade records the versions the state starts at; upgrades migrate from them.
	if err := a.UpgradeKeeper.SetModuleVersions(ctx, a.mm.Names(), a.mm.Versions()); err != nil {
		return nil, err
	}
	// Modules that act on CometBFT's consensus params and genesis validators
	// (x/poai) see them now; one may answer with the initial validator set, which
	// replaces genesis.json's.
	room := MaxActiveValidators(req.ConsensusParams)
	vals, err := a.mm.InitChain(ctx, runtime.ChainGenesis{ConsensusParams: req.ConsensusParams, Validators: req.Validators, MaxValidators: room})
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	// The set's commits must fit a block, or CometBFT stops (MaxActiveValidators).
	if n := max(len(vals), len(req.Validators)); n > int(room) {
		return nil, fmt.Errorf("genesis: %d validators, but blocks of consensus block.max_bytes %d (evidence.max_bytes %d) carry the commits of at most %d: raise block.max_bytes",
			n, req.ConsensusParams.GetBlock().GetMaxBytes(), req.ConsensusParams.GetEvidence().GetMaxBytes(), room)
	}
	if err := branch.Write(); err != nil {
		return nil, err
	}
	return &abci.ResponseInitChain{AppHash: a.cms.WorkingHash(), Validators: vals}, nil
}
