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
	var veHeight int64
	if cp := req.ConsensusParams; cp != nil && cp.Abci != nil {
		veHeight = cp.Abci.VoteExtensionsEnableHeight
	}
	if err := a.saveVEEnableHeight(veHeight); err != nil {
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
	// PoAI refuses validator keys CometBFT's consensus params exclude (they would halt it).
	if cp := req.ConsensusParams; cp != nil && cp.Validator != nil {
		if err := a.PoaiKeeper.SetAllowedKeyTypes(ctx, cp.Validator.PubKeyTypes); err != nil {
			return nil, err
		}
	}
	// PoAI's genesis validators become CometBFT's initial set (the response replaces
	// genesis.json's); with none, CometBFT keeps its own and PoAI records them.
	vals, err := a.PoaiKeeper.InitialValidatorUpdates(ctx, req.Validators)
	if err != nil {
		return nil, fmt.Errorf("genesis: poai validators: %w", err)
	}
	// The set's commits must fit a block, or CometBFT stops (MaxActiveValidators).
	room := MaxActiveValidators(req.ConsensusParams)
	if n := max(len(vals), len(req.Validators)); n > int(room) {
		return nil, fmt.Errorf("genesis: %d validators, but blocks of consensus block.max_bytes %d (evidence.max_bytes %d) carry the commits of at most %d: raise block.max_bytes",
			n, req.ConsensusParams.GetBlock().GetMaxBytes(), req.ConsensusParams.GetEvidence().GetMaxBytes(), room)
	}
	if err := a.PoaiKeeper.SetBlockRoom(ctx, room); err != nil {
		return nil, err
	}
	if err := branch.Write(); err != nil {
		return nil, err
	}
	return &abci.ResponseInitChain{AppHash: a.cms.WorkingHash(), Validators: vals}, nil
}
