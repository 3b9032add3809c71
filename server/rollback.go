package server

import (
	"bytes"
	"fmt"

	sm "github.com/cometbft/cometbft/state"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/store"
)

// RollbackResult is where a rollback left the node.
type RollbackResult struct {
	Height  int64  // the height app and CometBFT are back at
	AppHash []byte // the app hash committed at Height
	// BlockRemoved: --hard deleted the block above Height from the block store;
	// otherwise the node re-executes it on restart.
	BlockRemoved bool
}

// Rollback moves the stopped node in home back one height: CometBFT's state (as
// `cometbft rollback` does: state.Rollback) and the application state, which
// drops its latest version so the block above is executed again on restart.
// hard also deletes that block, so the node fetches it again from peers (or
// builds a new one). The app is checked first: when it cannot follow (nothing
// committed before, or the version pruned) nothing is changed.
func Rollback(home string, hard bool) (*RollbackResult, error) {
	conf, err := LoadCometConfig(home, nil)
	if err != nil {
		return nil, err
	}
	db, err := openAppDB(home, conf)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	bs, ss, closeDBs, err := openCometStores(conf)
	if err != nil {
		return nil, err
	}
	defer closeDBs()

	state, err := ss.Load()
	if err != nil {
		return nil, fmt.Errorf("load CometBFT state: %w", err)
	}
	if state.IsEmpty() {
		return nil, fmt.Errorf("%w: CometBFT has no state in %s (the node never ran)", store.ErrNothingToRollback, conf.DBDir())
	}
	// CometBFT saves the block, then the app commits, then CometBFT saves its
	// state: a crash between leaves the block store one ahead, and then
	// state.Rollback keeps the state and the app goes back to it.
	target := state.LastBlockHeight - 1
	if bs.Height() == state.LastBlockHeight+1 {
		target = state.LastBlockHeight
	}
	if target < state.InitialHeight {
		return nil, fmt.Errorf("%w: the chain is at its first block (%d): there is no earlier state", store.ErrNothingToRollback, state.LastBlockHeight)
	}
	if _, err := app.CheckRollbackTo(db, target); err != nil {
		return nil, fmt.Errorf("application state: %w", err)
	}

	// The block that will be executed again was made with the state's consensus
	// version, app version included (read before --hard deletes it).
	var redo *cmttypes.BlockMeta
	if target == state.LastBlockHeight-1 {
		if redo = bs.LoadBlockMeta(state.LastBlockHeight); redo == nil {
			return nil, fmt.Errorf("block %d is not in CometBFT's block store", state.LastBlockHeight)
		}
	}
	height, hash, err := sm.Rollback(bs, ss, hard)
	if err != nil {
		return nil, fmt.Errorf("roll back CometBFT state: %w", err)
	}
	if height != target {
		return nil, fmt.Errorf("CometBFT rolled back to height %d, expected %d: the application state was not changed", height, target)
	}
	rolled, err := ss.Load()
	if err != nil {
		return nil, fmt.Errorf("load CometBFT state: %w", err)
	}
	// state.Rollback takes the app version from the consensus params (0 unless a
	// params update set it), but the handshake records the version the app
	// reports (app.AppVersion): left at 0, the replay of the block refuses its
	// header ("wrong Block.Header.Version"). The block's own header says which.
	if redo != nil && rolled.Version.Consensus.App != redo.Header.Version.App {
		rolled.Version.Consensus.App = redo.Header.Version.App
		if err := ss.Save(rolled); err != nil {
			return nil, fmt.Errorf("save CometBFT state: %w", err)
		}
	}
	id, err := app.RollbackTo(db, height, rolled.LastBlockTime)
	if err != nil {
		return nil, fmt.Errorf("CometBFT is back at height %d, but the application state failed to follow: %w", height, err)
	}
	if !bytes.Equal(id.Hash, hash) {
		return nil, fmt.Errorf("rolled back to height %d, but the application's app hash %X is not CometBFT's %X: the application state is not the chain's", height, id.Hash, hash)
	}
	return &RollbackResult{Height: height, AppHash: hash, BlockRemoved: hard}, nil
}
