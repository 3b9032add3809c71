package store

import (
	"errors"
	"fmt"
	"os"

	cmtdb "github.com/cometbft/cometbft-db"
	dbm "github.com/cosmos/cosmos-db"
)

// DefaultCometDBCacheBytes is the pebble block cache of each of CometBFT's own
// databases (block store, state, tx index, evidence): pebble's own default. They
// are read mostly at their recent end, which the memtables and OS page cache hold.
const DefaultCometDBCacheBytes = 8 << 20

// CometDBMemTableBytes is the pebble memtable of each of CometBFT's databases.
// They take a block's worth of writes at once (the block, its results, a tx
// index entry per event attribute): with pebble's 4 MB memtables the flushes
// and L0 compactions cost a 1,000-tx block 107-137 CPU-ms, with 16 MiB 65
// (BenchmarkCometStores, docs/PERFORMANCE.md). Costs up to this much RSS a
// database that is being written.
const CometDBMemTableBytes = 16 << 20

// OpenCometDB opens one of CometBFT's databases, <dir>/<name>.db, for its
// DBProvider. "pebbledb" is this package's pebble adapter (cometbft-db has one
// only behind the pebbledb build tag, and a plain `go build` must keep working);
// other backends are cometbft-db's. A database written by another backend than
// the configured one is refused (CheckDiskBackend).
func OpenCometDB(backend, name, dir string) (cmtdb.DB, error) {
	if name == "" {
		return nil, errors.New("store: empty database name")
	}
	if err := CheckDiskBackend(backend, name, dir, "config.toml db_backend"); err != nil {
		return nil, err
	}
	if backend != string(dbm.PebbleDBBackend) {
		db, err := cmtdb.NewDB(name, cmtdb.BackendType(backend), dir)
		if err != nil && isLocked(err) {
			return nil, lockedError(backend, name, dir, err)
		}
		return db, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create db dir: %w", err)
	}
	db, err := newPebbleDB(name, dir, DefaultCometDBCacheBytes, CometDBMemTableBytes)
	if err != nil && isLocked(err) {
		return nil, lockedError(backend, name, dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s db %q in %s: %w", backend, name, dir, err)
	}
	return cometPebble{db}, nil
}

func lockedError(backend, name, dir string, err error) error {
	return fmt.Errorf("store: %s db %q in %s is locked by another process: is a node already running from this home? Stop it first (%w)", backend, name, dir, err)
}

// cometPebble is PebbleDB as cometbft-db's DB: the same methods, with
// cometbft-db's iterator and batch types in their signatures (cosmos-db's
// values satisfy those interfaces).
type cometPebble struct{ *PebbleDB }

var _ cmtdb.DB = cometPebble{}

// Iterator implements cmtdb.DB.
func (d cometPebble) Iterator(start, end []byte) (cmtdb.Iterator, error) {
	it, err := d.PebbleDB.Iterator(start, end)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// ReverseIterator implements cmtdb.DB.
func (d cometPebble) ReverseIterator(start, end []byte) (cmtdb.Iterator, error) {
	it, err := d.PebbleDB.ReverseIterator(start, end)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// NewBatch implements cmtdb.DB.
func (d cometPebble) NewBatch() cmtdb.Batch { return d.PebbleDB.NewBatch() }
