package app

import (
	"context"
	"encoding/json"
	"fmt"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/poai"
)

// Exported is the state committed at a height in the form of a genesis: every
// module's section and CometBFT's validator set at that height.
type Exported struct {
	Height  int64
	AppHash []byte
	// AppState is the genesis app_state: an object keyed by module name. Its bytes
	// are deterministic (keys sorted by encoding/json, each section in its proto's
	// field order, lists in store order), so the same state exports the same bytes.
	AppState json.RawMessage
	// Validators is x/poai's record of CometBFT's set after the height (last
	// powers), in consensus-address order, named by the validators' monikers.
	Validators []cmttypes.GenesisValidator
}

// Export reads the state committed at height (0: the latest) through every
// module's ExportGenesis, in module order. It only reads: the node must not be
// running, since a running node (which holds the database lock) is the only
// other writer, and exporting it mid-commit would be undefined anyway.
func (a *App) Export(height int64) (*Exported, error) {
	last := a.LastCommitID()
	if last.Version == 0 {
		return nil, fmt.Errorf("export: nothing is committed yet (no block after genesis)")
	}
	if height == 0 {
		height = last.Version
	}
	br, err := a.cms.BranchAt(height)
	if err != nil {
		return nil, fmt.Errorf("export at height %d: %w (a pruning node keeps only recent heights: see app.toml state.pruning)", height, err)
	}
	ctx := runtime.NewContext(context.Background(), br, runtime.Header{ChainID: a.chainID, Height: height}, runtime.ModeQuery, a.logger)
	sections, err := a.mm.ExportGenesis(ctx)
	if err != nil {
		return nil, fmt.Errorf("export at height %d: %w", height, err)
	}
	appState, err := json.Marshal(sections) // map keys sorted: deterministic
	if err != nil {
		return nil, err
	}
	vals, err := a.exportValidators(ctx)
	if err != nil {
		return nil, fmt.Errorf("export validators at height %d: %w", height, err)
	}
	hash, err := a.cms.AppHashAt(height)
	if err != nil {
		return nil, err
	}
	return &Exported{Height: height, AppHash: hash, AppState: appState, Validators: vals}, nil
}

// exportValidators is CometBFT's set as x/poai last told it (LastPowers).
func (a *App) exportValidators(ctx context.Context) ([]cmttypes.GenesisValidator, error) {
	var out []cmttypes.GenesisValidator
	err := a.PoaiKeeper.LastPowers.Walk(ctx, nil, func(addr []byte, lp poai.LastPower) (bool, error) {
		pk, err := poai.PubKeyFromConsensusKey(lp.ConsensusKey)
		if err != nil {
			return true, err
		}
		name := ""
		if v, found, err := a.PoaiKeeper.ValidatorByConsAddr(ctx, addr); err != nil {
			return true, err
		} else if found {
			name = v.Moniker
		}
		out = append(out, cmttypes.GenesisValidator{Address: pk.Address(), PubKey: pk, Power: lp.Power, Name: name})
		return false, nil
	})
	return out, err
}
