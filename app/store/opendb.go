package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	dbm "github.com/cosmos/cosmos-db"
)

// DBOptions tune the state database; the zero value means the defaults.
type DBOptions struct {
	// CacheBytes is pebble's block cache (DefaultDBCacheBytes when 0); other
	// backends ignore it.
	CacheBytes int64
}

// OpenDB opens the database name under dir with the given backend and default
// DBOptions: "pebbledb" (default when empty), "goleveldb", "rocksdb" (needs the
// rocksdb build tag) or "memdb".
func OpenDB(backend, name, dir string) (dbm.DB, error) {
	return OpenDBWith(backend, name, dir, DBOptions{})
}

// OpenDBWith is OpenDB with options (app.toml [state]).
func OpenDBWith(backend, name, dir string, o DBOptions) (dbm.DB, error) {
	switch backend {
	case "":
		backend = string(dbm.PebbleDBBackend)
	case string(dbm.MemDBBackend):
		return dbm.NewMemDB(), nil
	case string(dbm.RocksDBBackend):
		if !rocksdbEnabled {
			return nil, errors.New(`store: db backend "rocksdb" needs a binary built with -tags rocksdb`)
		}
	case string(dbm.PebbleDBBackend), string(dbm.GoLevelDBBackend):
	default:
		return nil, fmt.Errorf("store: unknown db backend %q (want pebbledb, goleveldb, rocksdb or memdb)", backend)
	}
	if name == "" {
		return nil, errors.New("store: empty database name")
	}
	if o.CacheBytes < 0 {
		return nil, fmt.Errorf("store: negative db cache size %d", o.CacheBytes)
	}
	if err := CheckDiskBackend(backend, name, dir, "app.toml state.db-backend"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create db dir: %w", err)
	}
	var db dbm.DB
	var err error
	if backend == string(dbm.PebbleDBBackend) {
		// Our adapter, not cosmos-db's: that one has no block cache option.
		db, err = NewPebbleDB(name, dir, o.CacheBytes)
	} else {
		db, err = dbm.NewDB(name, dbm.BackendType(backend), dir)
	}
	if err != nil && isLocked(err) {
		return nil, lockedError(backend, name, dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s db %q in %s: %w", backend, name, dir, err)
	}
	return db, nil
}

// isLocked reports the error pebble and goleveldb return when another process
// holds the database's LOCK file (flock: EAGAIN); both wrap the syscall error.
func isLocked(err error) bool {
	return errors.Is(err, syscall.EAGAIN)
}
