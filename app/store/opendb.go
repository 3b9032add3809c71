package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	dbm "github.com/cosmos/cosmos-db"
)

// OpenDB opens the database name under dir with the given backend: "pebbledb" (default when
// empty), "goleveldb", "rocksdb" (needs the rocksdb build tag) or "memdb".
func OpenDB(backend, name, dir string) (dbm.DB, error) {
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create db dir: %w", err)
	}
	db, err := dbm.NewDB(name, dbm.BackendType(backend), dir)
	if err != nil && isLocked(err) {
		return nil, fmt.Errorf("store: %s db %q in %s is locked by another process: is a node already running from this home? Stop it first (%w)", backend, name, dir, err)
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
