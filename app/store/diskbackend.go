package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	dbm "github.com/cosmos/cosmos-db"
)

// ErrBackendMismatch is returned when a home's configured db backend is not the
// one that wrote the database on disk. Opening it anyway would hand a goleveldb
// directory to pebble (or the reverse): pebble reads LevelDB-style manifests,
// so the mix-up could go unnoticed until the data is damaged.
var ErrBackendMismatch = errors.New("db backend mismatch")

// DiskBackend reports which backend wrote the database <dir>/<name>.db:
// "pebbledb", "goleveldb", "rocksdb", or "" when there is none yet (missing or
// empty directory, or files no backend here writes).
//
// The files tell them apart: pebble and RocksDB write OPTIONS-<n>, RocksDB also
// IDENTITY; goleveldb writes neither, only CURRENT and MANIFEST-<n>.
func DiskBackend(name, dir string) (string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, name+dbm.DBFileSuffix))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read db dir: %w", err)
	}
	var options, identity, current bool
	for _, e := range entries {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "OPTIONS-"):
			options = true
		case n == "IDENTITY":
			identity = true
		case n == "CURRENT":
			current = true
		}
	}
	switch {
	case options && identity:
		return string(dbm.RocksDBBackend), nil
	case options:
		return string(dbm.PebbleDBBackend), nil
	case current:
		return string(dbm.GoLevelDBBackend), nil
	}
	return "", nil
}

// CheckDiskBackend refuses to open <dir>/<name>.db with backend when another
// backend wrote it. what names the setting to change ("config.toml db_backend").
func CheckDiskBackend(backend, name, dir, what string) error {
	if backend == "" || backend == string(dbm.MemDBBackend) {
		return nil
	}
	onDisk, err := DiskBackend(name, dir)
	if err != nil || onDisk == "" || onDisk == backend {
		return err
	}
	return fmt.Errorf("%w: %s is %q but %s was written by %s: set %s = %q to keep using it (a home does not switch backends by itself; to move to %s, sync a fresh home or restore a snapshot into one)",
		ErrBackendMismatch, what, backend, filepath.Join(dir, name+dbm.DBFileSuffix), onDisk, what, onDisk, backend)
}
