package server

import (
	"fmt"
	"sync"

	cmtdb "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/selfchain/selfchain/app/store"
)

// dbTracker opens CometBFT's databases and remembers them: CometBFT's Stop
// closes its block and state stores but not the tx indexer's, whose file lock
// would keep the same home from starting again in this process.
type dbTracker struct {
	mu  sync.Mutex
	dbs map[string]cmtdb.DB
	// txIndexBackend is app.toml [tx-index] db-backend; empty: config.toml's.
	txIndexBackend string
}

// txIndexDB is the name CometBFT's kv tx indexer opens its database under.
const txIndexDB = "tx_index"

func (t *dbTracker) provider(ctx *cmtcfg.DBContext) (cmtdb.DB, error) {
	var (
		db  cmtdb.DB
		err error
	)
	if ctx.ID == txIndexDB && t.txIndexBackend != "" {
		db, err = openTxIndexDB(t.txIndexBackend, ctx.Config.DBDir())
	} else {
		db, err = cometDBProvider(ctx)
	}
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dbs == nil {
		t.dbs = map[string]cmtdb.DB{}
	}
	t.dbs[ctx.ID] = db
	return db, nil
}

// cometDBProvider opens CometBFT's database ctx.ID with config.toml's
// db_backend: pebbledb through app/store's adapter (cometbft-db's needs a build
// tag), the others through cometbft-db. Every opener of CometBFT's stores uses
// it (node, export, rollback, restore), so they agree on the backend.
func cometDBProvider(ctx *cmtcfg.DBContext) (cmtdb.DB, error) {
	db, err := store.OpenCometDB(ctx.Config.DBBackend, ctx.ID, ctx.Config.DBDir())
	if err != nil {
		return nil, fmt.Errorf("open CometBFT %s database: %w", ctx.ID, err)
	}
	return db, nil
}

// openTxIndexDB opens the tx index with app.toml's backend; a tx index another
// backend wrote is refused naming that setting.
func openTxIndexDB(backend, dir string) (cmtdb.DB, error) {
	if err := store.CheckDiskBackend(backend, txIndexDB, dir, "app.toml tx-index.db-backend"); err != nil {
		return nil, fmt.Errorf("open CometBFT %s database: %w", txIndexDB, err)
	}
	db, err := store.OpenCometDB(backend, txIndexDB, dir)
	if err != nil {
		return nil, fmt.Errorf("open CometBFT %s database: %w", txIndexDB, err)
	}
	return db, nil
}

// closeAll closes every database CometBFT opened. Those it closed already
// answer with an error (or, for some backends, a panic), which is not one.
func (t *dbTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, db := range t.dbs {
		func() {
			defer func() { _ = recover() }()
			_ = db.Close()
		}()
		delete(t.dbs, id)
	}
}
