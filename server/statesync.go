package server

import (
	"errors"
	"fmt"
	"path/filepath"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmttypes "github.com/cometbft/cometbft/types"

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
	setRestoreGenesis(a, gen)
	return nil
}

func setRestoreGenesis(a *app.App, gen *cmttypes.GenesisDoc) {
	cp := gen.ConsensusParams.ToProto()
	a.SetRestoreGenesis(gen.ChainID, &cp)
}

// OpenApp opens the application state of a stopped node's home (as Start would, without
// CometBFT) for offline tools; close releases it.
func OpenApp(home string) (a *app.App, close func() error, err error) {
	conf, err := LoadCometConfig(home, nil)
	if err != nil {
		return nil, nil, err
	}
	appCfg, err := app.LoadConfig(home)
	if err != nil {
		return nil, nil, err
	}
	appCfg.StateSync.SnapshotDir = SnapshotDir(conf)
	db, err := appCfg.OpenStateDB(conf.DBDir())
	if err != nil {
		return nil, nil, fmt.Errorf("open application db: %w", err)
	}
	a, err = app.New(nil, db, appCfg)
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("open application: %w", err)
	}
	return a, func() error { return errors.Join(a.Close(), db.Close()) }, nil
}
