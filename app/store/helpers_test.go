package store

import (
	"fmt"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

var testNames = []string{"bank", "acc", "staking"}

// openTest opens a MultiStore on a fresh database of backend in a temp dir; the store and the
// database are closed at cleanup.
func openTest(t testing.TB, backend string, opts Options) (*MultiStore, dbm.DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := OpenDB(backend, "state", dir)
	require.NoError(t, err)
	ms, err := Open(db, testNames, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = ms.Close()
		_ = db.Close()
	})
	return ms, db, dir
}

// commitBlock writes kvs (store -> key -> value, "" value = delete) through a block branch and commits.
func commitBlock(t testing.TB, ms *MultiStore, kvs map[string]map[string]string) CommitID {
	t.Helper()
	blk := ms.Working()
	for name, m := range kvs {
		s := blk.Store(name)
		for k, v := range m {
			if v == "" {
				require.NoError(t, s.Delete([]byte(k)))
			} else {
				require.NoError(t, s.Set([]byte(k), []byte(v)))
			}
		}
	}
	require.NoError(t, blk.Write())
	id, err := ms.Commit()
	require.NoError(t, err)
	return id
}

func mustGet(t testing.TB, s KVStore, key string) []byte {
	t.Helper()
	v, err := s.Get([]byte(key))
	require.NoError(t, err)
	return v
}

func kv(i int) (string, string) { return fmt.Sprintf("key%05d", i), fmt.Sprintf("val%d", i) }
