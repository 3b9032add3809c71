package store

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"

	"github.com/cometbft/cometbft/crypto/merkle"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

func TestOpenEmpty(t *testing.T) {
	ms, _, _ := openTest(t, "", Options{})
	id := ms.LastCommitID()
	require.Equal(t, int64(0), id.Version)
	require.Equal(t, id.Hash, ms.WorkingHash())
	require.Equal(t, []string{"acc", "bank", "staking"}, ms.Names())
	_, _, err := ms.Query("bank", []byte("k"), 0, false)
	require.Error(t, err)
	_, err = ms.BranchAt(1)
	require.ErrorContains(t, err, "version 1")
}

func TestOpenRejectsBadInput(t *testing.T) {
	db := dbm.NewMemDB()
	for _, names := range [][]string{nil, {"a", "a"}, {""}, {"a/b"}} {
		_, err := Open(db, names, Options{})
		require.Error(t, err, "%v", names)
	}
	_, err := Open(db, []string{"a"}, Options{Pruning: PruningOptions{KeepRecent: 5}})
	require.Error(t, err)
	_, err = OpenDB("rocksdb", "x", t.TempDir())
	if !rocksdbEnabled {
		require.ErrorContains(t, err, "-tags rocksdb")
	}
	_, err = OpenDB("boltdb", "x", t.TempDir())
	require.ErrorContains(t, err, "boltdb")
}

// The app hash must be CometBFT's simple merkle root over (name, sha256(root)) KV pairs.
func TestAppHashMatchesCometMerkle(t *testing.T) {
	for n := 1; n <= 9; n++ {
		names := make([]string, n)
		roots := make([][]byte, n)
		leaves := make([][]byte, n)
		for i := range names {
			names[i] = fmt.Sprintf("store%d", i)
			h := sha256.Sum256([]byte(names[i]))
			roots[i] = h[:]
			vh := sha256.Sum256(roots[i])
			leaf := binary.AppendUvarint(nil, uint64(len(names[i])))
			leaf = append(leaf, names[i]...)
			leaf = binary.AppendUvarint(leaf, 32)
			leaves[i] = append(leaf, vh[:]...)
		}
		require.Equal(t, merkle.HashFromByteSlices(leaves), appHash(names, roots), "n=%d", n)
	}
}

func TestCommitAndReopen(t *testing.T) {
	for _, backend := range []string{"pebbledb", "goleveldb"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			db, err := OpenDB(backend, "state", dir)
			require.NoError(t, err)
			ms, err := Open(db, testNames, Options{})
			require.NoError(t, err)
			var ids []CommitID
			for v := 1; v <= 5; v++ {
				kvs := map[string]map[string]string{"bank": {}, "acc": {fmt.Sprint("v", v): "x"}}
				for i := 0; i < 20; i++ {
					k, val := kv(v*100 + i)
					kvs["bank"][k] = val
				}
				wh := func() []byte {
					blk := ms.Working()
					for n, m := range kvs {
						for k, val := range m {
							require.NoError(t, blk.Store(n).Set([]byte(k), []byte(val)))
						}
					}
					require.NoError(t, blk.Write())
					return ms.WorkingHash()
				}()
				id, err := ms.Commit()
				require.NoError(t, err)
				require.Equal(t, int64(v), id.Version)
				require.Equal(t, wh, id.Hash, "WorkingHash predicts the committed app hash")
				ids = append(ids, id)
			}
			require.NoError(t, ms.Close())
			require.NoError(t, db.Close())

			db, err = OpenDB(backend, "state", dir)
			require.NoError(t, err)
			defer db.Close()
			ms, err = Open(db, []string{"staking", "bank", "acc"}, Options{})
			require.NoError(t, err)
			defer ms.Close()
			require.Equal(t, ids[4], ms.LastCommitID())
			for v := 1; v <= 5; v++ {
				b, err := ms.BranchAt(int64(v))
				require.NoError(t, err)
				k, val := kv(v*100 + 7)
				require.Equal(t, []byte(val), mustGet(t, b.Store("bank"), k))
				require.Nil(t, mustGet(t, b.Store("acc"), fmt.Sprint("v", v+1)))
				// staking stays empty until after version 5.
				for _, it := range []func([]byte, []byte) (dbm.Iterator, error){b.Store("staking").Iterator, b.Store("staking").ReverseIterator} {
					keys, _ := collect(t, must(it(nil, nil)))
					require.Empty(t, keys)
				}
			}
			w := ms.Working().Store("acc")
			require.Equal(t, []byte("x"), mustGet(t, w, "v5"))
			// Keep going after reopening.
			id := commitBlock(t, ms, map[string]map[string]string{"staking": {"s": "1"}})
			require.Equal(t, int64(6), id.Version)
		})
	}
}

func TestInitialVersion(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDB("pebbledb", "state", dir)
	require.NoError(t, err)
	defer db.Close()
	ms, err := Open(db, testNames, Options{InitialVersion: 100})
	require.NoError(t, err)
	require.Equal(t, int64(0), ms.LastCommitID().Version)
	id := commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "1"}})
	require.Equal(t, int64(100), id.Version)
	id = commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "2"}})
	require.Equal(t, int64(101), id.Version)
	_, err = ms.BranchAt(99)
	require.ErrorContains(t, err, "99")
	require.NoError(t, ms.Close())

	// InitialVersion only applies to an empty store.
	ms, err = Open(db, testNames, Options{InitialVersion: 100})
	require.NoError(t, err)
	defer ms.Close()
	require.Equal(t, id, ms.LastCommitID())
	b, err := ms.BranchAt(100)
	require.NoError(t, err)
	require.Equal(t, []byte("1"), mustGet(t, b.Store("bank"), "a"))
	require.Equal(t, int64(102), commitBlock(t, ms, nil).Version)
}

// The same writes on pebbledb and goleveldb give the same app hash at every version.
func TestDeterminismAcrossBackends(t *testing.T) {
	a, _, _ := openTest(t, "pebbledb", Options{Pruning: PruningOptions{KeepRecent: 2, Interval: 3}})
	b, _, _ := openTest(t, "goleveldb", Options{})
	rng := rand.New(rand.NewSource(7))
	for v := 0; v < 12; v++ {
		kvs := map[string]map[string]string{}
		for _, n := range testNames {
			kvs[n] = map[string]string{}
			for i := 0; i < 30; i++ {
				k := fmt.Sprintf("k%03d", rng.Intn(200))
				if rng.Intn(4) == 0 {
					kvs[n][k] = ""
				} else {
					kvs[n][k] = fmt.Sprint(rng.Int())
				}
			}
		}
		ida, idb := commitBlock(t, a, kvs), commitBlock(t, b, kvs)
		require.Equal(t, ida, idb, "version %d", v+1)
	}
}

// A crash after some trees saved a version but before the commit info was written must roll
// those trees back on Open.
func TestRecoverFromPartialCommit(t *testing.T) {
	for _, first := range []bool{true, false} {
		t.Run(fmt.Sprint("first=", first), func(t *testing.T) {
			db := dbm.NewMemDB()
			ms, err := Open(db, testNames, Options{})
			require.NoError(t, err)
			var want CommitID
			if !first {
				want = commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "1"}})
			} else {
				want = ms.LastCommitID()
			}
			blk := ms.Working()
			require.NoError(t, blk.Store("bank").Set([]byte("a"), []byte("2")))
			require.NoError(t, blk.Store("acc").Set([]byte("b"), []byte("2")))
			require.NoError(t, blk.Write())
			// Simulate a crash inside Commit: only the first two trees saved.
			_, _, err = ms.trees[0].SaveVersion()
			require.NoError(t, err)
			_, _, err = ms.trees[1].SaveVersion()
			require.NoError(t, err)
			require.NoError(t, ms.Close())

			ms, err = Open(db, testNames, Options{})
			require.NoError(t, err)
			defer ms.Close()
			require.Equal(t, want, ms.LastCommitID())
			w := ms.Working()
			require.Nil(t, mustGet(t, w.Store("acc"), "b"))
			if first {
				require.Nil(t, mustGet(t, w.Store("bank"), "a"))
			} else {
				require.Equal(t, []byte("1"), mustGet(t, w.Store("bank"), "a"))
			}
			// Redo the block: same version as the lost one.
			id := commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "2"}, "acc": {"b": "2"}})
			require.Equal(t, want.Version+1, id.Version)
		})
	}
}

func TestOpenRejectsChangedStores(t *testing.T) {
	db := dbm.NewMemDB()
	ms, err := Open(db, testNames, Options{})
	require.NoError(t, err)
	commitBlock(t, ms, nil)
	require.NoError(t, ms.Close())
	_, err = Open(db, append([]string{"gov"}, testNames...), Options{})
	require.Error(t, err)
	_, err = Open(db, testNames[:2], Options{})
	require.Error(t, err)
}
