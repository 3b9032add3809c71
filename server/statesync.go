package server

import (
	"fmt"
	"path/filepath"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/selfchain/selfchain/app"
)

// SnapshotDir is where a node keeps its state-sync snapshots: <db dir>/snapshots, next to
// the databases (<home>/data/snapshots by default).
func SnapshotDir(conf *cmtcfg.Config) string { return filepath.Join(conf.DBDir(), "snapshots") }

// prepareRestore gives an app with empty state that will state sync the genesis values a
// restore takes from the node's own genesis (app/snapshots.go says which and why).
func prepareRestore(conf *cmtcfg.Config, a *app.App) error {
	if !conf.StateSync.Enable || a.LastCommitID().Version != 0 {
		return nil
	}
	gen, err := LoadGenesis(conf.GenesisFile())
	if err != nil {
		return fmt.Errorf("state sync: genesis: %w", err)
	}
	cp := gen.ConsensusParams.ToProto()
	a.SetRestoreGenesis(gen.ChainID, &cp)
	return nil
}
