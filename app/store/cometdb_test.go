package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/store"
)

// CometBFT's stores on the pebble adapter: what the block store and the tx
// indexer call (get, batch, range and reverse iteration, compaction) works and
// survives a reopen.
func TestOpenCometDBPebbleRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db, err := store.OpenCometDB("pebbledb", "blockstore", dir)
	require.NoError(t, err)
	b := db.NewBatch()
	for _, k := range []string{"a", "b", "c", "d"} {
		require.NoError(t, b.Set([]byte(k), []byte("v"+k)))
	}
	require.NoError(t, b.WriteSync())
	require.NoError(t, b.Close())
	require.NoError(t, db.Delete([]byte("c")))
	require.ErrorContains(t, db.Set(nil, []byte("x")), "key cannot be empty")

	var keys []string
	it, err := db.ReverseIterator([]byte("a"), []byte("d"))
	require.NoError(t, err)
	for ; it.Valid(); it.Next() {
		keys = append(keys, string(it.Key()))
	}
	require.NoError(t, it.Close())
	require.Equal(t, []string{"b", "a"}, keys)
	require.NoError(t, db.Compact(nil, nil))
	require.NoError(t, db.Compact([]byte("a"), []byte("b")))
	require.NoError(t, db.Close())

	got, err := store.DiskBackend("blockstore", dir)
	require.NoError(t, err)
	require.Equal(t, "pebbledb", got)
	db, err = store.OpenCometDB("pebbledb", "blockstore", dir)
	require.NoError(t, err)
	v, err := db.Get([]byte("d"))
	require.NoError(t, err)
	require.Equal(t, "vd", string(v))
	has, err := db.Has([]byte("c"))
	require.NoError(t, err)
	require.False(t, has)
	require.NoError(t, db.Close())
}

// Compacting an empty database is a no-op, not pebble's "invalid range" error.
func TestPebbleCompactEmpty(t *testing.T) {
	db, err := store.OpenCometDB("pebbledb", "state", t.TempDir())
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Compact(nil, nil))
}

// Each backend's files are recognised, and a missing or empty directory is no backend.
func TestDiskBackend(t *testing.T) {
	dir := t.TempDir()
	got, err := store.DiskBackend("blockstore", dir)
	require.NoError(t, err)
	require.Empty(t, got)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "blockstore.db"), 0o755))
	got, err = store.DiskBackend("blockstore", dir)
	require.NoError(t, err)
	require.Empty(t, got)

	for _, backend := range []string{"goleveldb", "pebbledb"} {
		dir := t.TempDir()
		db, err := store.OpenCometDB(backend, "tx_index", dir)
		require.NoError(t, err)
		require.NoError(t, db.SetSync([]byte("k"), []byte("v")))
		require.NoError(t, db.Close())
		got, err := store.DiskBackend("tx_index", dir)
		require.NoError(t, err)
		require.Equal(t, backend, got)
	}
}

// A store written by one backend is refused by the other, with the setting to
// change in the message, and left as it was: its data still reads back with the
// backend that wrote it. Both for CometBFT's stores and the application's.
func TestBackendMismatchRefused(t *testing.T) {
	for _, tc := range []struct{ wrote, configured string }{
		{"goleveldb", "pebbledb"},
		{"pebbledb", "goleveldb"},
	} {
		dir := t.TempDir()
		db, err := store.OpenCometDB(tc.wrote, "blockstore", dir)
		require.NoError(t, err)
		require.NoError(t, db.SetSync([]byte("height"), []byte("7")))
		require.NoError(t, db.Close())
		before := dirListing(t, filepath.Join(dir, "blockstore.db"))

		_, err = store.OpenCometDB(tc.configured, "blockstore", dir)
		require.True(t, errors.Is(err, store.ErrBackendMismatch), "%v", err)
		require.ErrorContains(t, err, `config.toml db_backend is "`+tc.configured+`" but`)
		require.ErrorContains(t, err, `written by `+tc.wrote+`: set config.toml db_backend = "`+tc.wrote+`"`)
		require.Equal(t, before, dirListing(t, filepath.Join(dir, "blockstore.db")), "the refused store is untouched")

		db, err = store.OpenCometDB(tc.wrote, "blockstore", dir)
		require.NoError(t, err)
		v, err := db.Get([]byte("height"))
		require.NoError(t, err)
		require.Equal(t, "7", string(v))
		require.NoError(t, db.Close())

		adb, err := store.OpenDB(tc.wrote, "application", dir)
		require.NoError(t, err)
		require.NoError(t, adb.Close())
		_, err = store.OpenDB(tc.configured, "application", dir)
		require.True(t, errors.Is(err, store.ErrBackendMismatch), "%v", err)
		require.ErrorContains(t, err, "app.toml state.db-backend")
	}
}

func dirListing(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	m := map[string]int64{}
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		m[e.Name()] = info.Size()
	}
	return m
}
