package server

import (
	"errors"
	"fmt"

	cmtdb "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	sm "github.com/cometbft/cometbft/state"
	cmtstore "github.com/cometbft/cometbft/store"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app"
)

// ExportOptions are `selfchaind export`'s choices.
type ExportOptions struct {
	// Height to export (0: the latest committed).
	Height int64
	// ChainID of the new chain ("": the source's). The validators' proofs of
	// possession name the chain id, so a new one needs new proofs.
	ChainID string
	// InitialHeight of the new chain (0: Height+1, as the Cosmos SDK does, so
	// heights recorded in state keep their meaning).
	InitialHeight int64
}

// Exported is an export's genesis and the state it was built from.
type Exported struct {
	Genesis *cmttypes.GenesisDoc
	Height  int64  // the exported height
	AppHash []byte // the app hash committed at Height (header Height+1 carries it)
	// Invalid is why Genesis does not validate yet (nil when it does): under a new
	// chain id, the validators' proofs of possession must be signed again for it.
	Invalid error
}

// Export builds a genesis from the state of the stopped node in home at a
// committed height: every module's app_state section, CometBFT's validator set
// and consensus params at that height, the block's time as genesis time.
func Export(home string, opts ExportOptions) (*Exported, error) {
	conf, err := LoadCometConfig(home, nil)
	if err != nil {
		return nil, err
	}
	src, err := LoadGenesis(conf.GenesisFile())
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	exp, err := withApp(home, conf, func(a *app.App) (*app.Exported, error) { return a.Export(opts.Height) })
	if err != nil {
		return nil, err
	}
	bs, ss, closeDBs, err := openCometStores(conf)
	if err != nil {
		return nil, err
	}
	defer closeDBs()
	params, err := ss.LoadConsensusParams(exp.Height + 1)
	if err != nil {
		// CometBFT saves the next height's params with each block: absent only on a
		// state store that does not reach the height (a copied or pruned home).
		return nil, fmt.Errorf("consensus params after height %d (CometBFT state store): %w", exp.Height, err)
	}
	meta := bs.LoadBlockMeta(exp.Height)
	if meta == nil {
		return nil, fmt.Errorf("block %d is not in CometBFT's block store (%s, heights %d..%d): export a height the block store holds",
			exp.Height, conf.DBDir(), bs.Base(), bs.Height())
	}

	gen := &cmttypes.GenesisDoc{
		GenesisTime:     meta.Header.Time,
		ChainID:         src.ChainID,
		InitialHeight:   opts.InitialHeight,
		ConsensusParams: &params,
		Validators:      exp.Validators,
		AppState:        exp.AppState,
	}
	if opts.ChainID != "" {
		gen.ChainID = opts.ChainID
	}
	if gen.InitialHeight == 0 {
		gen.InitialHeight = exp.Height + 1
	}
	// Vote extensions cannot start before the new chain's first block; an enable
	// height below it would make the app expect the extended commit of a block
	// the new chain never had.
	if e := params.ABCI.VoteExtensionsEnableHeight; e > 0 && e < gen.InitialHeight {
		gen.ConsensusParams.ABCI.VoteExtensionsEnableHeight = gen.InitialHeight
	}
	out := &Exported{Genesis: gen, Height: exp.Height, AppHash: exp.AppHash}
	// Written even when it does not validate, for the operator to fix: expected
	// under a new chain id (the validators' proofs of possession name the old
	// one), and on a chain whose validators registered before proofs existed
	// (x/poai consensus version 1: Migrate1to2).
	out.Invalid = ValidateGenesis(gen)
	return out, nil
}

// withApp opens the home's application state read-write (the lock keeps a
// running node out, and a running node keeps this out with a message that says
// so), runs f and closes it.
func withApp[T any](home string, conf *cmtcfg.Config, f func(*app.App) (T, error)) (T, error) {
	var zero T
	appCfg, err := app.LoadConfig(home)
	if err != nil {
		return zero, err
	}
	db, err := appCfg.OpenStateDB(conf.DBDir())
	if err != nil {
		return zero, err
	}
	defer db.Close()
	a, err := app.New(log.NewNopLogger(), db, appCfg)
	if err != nil {
		return zero, fmt.Errorf("open application: %w", err)
	}
	defer a.Close()
	return f(a)
}

// openAppDB opens the home's application database alone (rollback works on it closed).
func openAppDB(home string, conf *cmtcfg.Config) (dbm.DB, error) {
	appCfg, err := app.LoadConfig(home)
	if err != nil {
		return nil, err
	}
	return appCfg.OpenStateDB(conf.DBDir())
}

// openCometStores opens CometBFT's block and state stores of a stopped node.
func openCometStores(conf *cmtcfg.Config) (*cmtstore.BlockStore, sm.Store, func(), error) {
	bdb, err := cometDBProvider(&cmtcfg.DBContext{ID: "blockstore", Config: conf})
	if err != nil {
		return nil, nil, nil, err
	}
	sdb, err := cometDBProvider(&cmtcfg.DBContext{ID: "state", Config: conf})
	if err != nil {
		_ = bdb.Close()
		return nil, nil, nil, err
	}
	closeDBs := func() { _ = errors.Join(closeDB(bdb), closeDB(sdb)) }
	return cmtstore.NewBlockStore(bdb), sm.NewStore(sdb, sm.StoreOptions{DiscardABCIResponses: conf.Storage.DiscardABCIResponses}), closeDBs, nil
}

func closeDB(db cmtdb.DB) error { return db.Close() }
