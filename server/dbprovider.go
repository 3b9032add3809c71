package server

import (
	"fmt"
	"sync"

	cmtdb "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
)

// dbTracker opens CometBFT's databases and remembers them: CometBFT's Stop
// closes its block and state stores but not the tx indexer's, whose file lock
// would keep the same home from starting again in this process.
type dbTracker struct {
	mu  sync.Mutex
	dbs map[string]cmtdb.DB
}

func (t *dbTracker) provider(ctx *cmtcfg.DBContext) (cmtdb.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", ctx.ID, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dbs == nil {
		t.dbs = map[string]cmtdb.DB{}
	}
	t.dbs[ctx.ID] = db
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
