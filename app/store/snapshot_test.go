package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

// blockKVs are block b's writes: inserts, overwrites and a delete; "staking" stays empty.
func blockKVs(b, perBlock int) map[string]map[string]string {
	kvs := map[string]map[string]string{"bank": {}, "acc": {}}
	for j := 0; j < perBlock; j++ {
		k, v := kv(b*perBlock + j)
		kvs["bank"][k] = v + "-" + fmt.Sprint(b)
		kvs["acc"][fmt.Sprintf("a%d", (b*7+j)%(perBlock*2))] = fmt.Sprint(b, j)
	}
	if b > 0 {
		k, _ := kv((b - 1) * perBlock) // delete one key of the previous block
		kvs["bank"][k] = ""
	}
	return kvs
}

// fillStores commits blocks of blockKVs.
func fillStores(t testing.TB, ms *MultiStore, blocks, perBlock int) {
	t.Helper()
	for b := 0; b < blocks; b++ {
		commitBlock(t, ms, blockKVs(b, perBlock))
	}
}

func exportBytes(t testing.TB, ms *MultiStore, version int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, ms.ExportSnapshot(context.Background(), version, &buf))
	return buf.Bytes()
}

func openEmpty(t testing.TB) *MultiStore {
	t.Helper()
	ms, err := Open(dbm.NewMemDB(), testNames, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ms.Close() })
	return ms
}

func allPairs(t testing.TB, ms *MultiStore, version int64) map[string]string {
	t.Helper()
	br, err := ms.BranchAt(version)
	require.NoError(t, err)
	out := map[string]string{}
	for _, name := range ms.Names() {
		it, err := br.Store(name).Iterator(nil, nil)
		require.NoError(t, err)
		for ; it.Valid(); it.Next() {
			out[name+"/"+string(it.Key())] = string(it.Value())
		}
		require.NoError(t, it.Close())
	}
	return out
}

// TestSnapshotRoundTrip: a version exported from one store and restored into an empty one
// has the same app hash and the same reads, and both go on committing equal blocks.
func TestSnapshotRoundTrip(t *testing.T) {
	src, _, _ := openTest(t, "goleveldb", Options{})
	fillStores(t, src, 12, 300)
	const version = 10
	ci, err := loadCommitInfo(src.db, version, src.names)
	require.NoError(t, err)
	stream := exportBytes(t, src, version)
	require.Equal(t, stream, exportBytes(t, src, version), "the stream of a version is deterministic")

	dst, _, _ := openTest(t, "goleveldb", Options{})
	id, err := dst.RestoreSnapshot(version, bytes.NewReader(stream), ci.hash())
	require.NoError(t, err)
	require.Equal(t, CommitID{Version: version, Hash: ci.hash()}, id)
	require.Equal(t, id, dst.LastCommitID())
	require.Equal(t, allPairs(t, src, version), allPairs(t, dst, version))
	roots, err := dst.Roots(version)
	require.NoError(t, err)
	require.Equal(t, ci.hash(), AppHashOf(roots))

	// The working trees read through the fast index the restore wrote.
	srcAt := allPairs(t, src, version)
	for _, i := range []int{0, 1, 299, 2500, 2999} {
		k, _ := kv(i)
		want, ok := srcAt["bank/"+k]
		got := mustGet(t, dst.Working().Store("bank"), k)
		if ok {
			require.Equal(t, want, string(got), k)
		} else {
			require.Nil(t, got, k)
		}
	}
	for i, tree := range dst.trees {
		enabled, err := tree.IsFastCacheEnabled()
		require.NoError(t, err)
		require.True(t, enabled, dst.names[i])
		up, err := tree.IsUpgradeable()
		require.NoError(t, err)
		require.False(t, up, dst.names[i])
	}

	// The restored store's working trees continue the chain: block 11 of src again.
	id11 := commitBlock(t, dst, blockKVs(10, 300))
	src11, err := loadCommitInfo(src.db, 11, src.names)
	require.NoError(t, err)
	require.Equal(t, src11.hash(), id11.Hash)
}

// TestSnapshotRestoreEmptyAndReopen: empty stores restore too, and a reopened store keeps
// the restored version.
func TestSnapshotRestoreEmptyAndReopen(t *testing.T) {
	src, _, _ := openTest(t, "memdb", Options{})
	commitBlock(t, src, map[string]map[string]string{"bank": {"k": "v"}})
	want := src.LastCommitID()
	stream := exportBytes(t, src, 1)

	db := dbm.NewMemDB()
	dst, err := Open(db, testNames, Options{})
	require.NoError(t, err)
	_, err = dst.RestoreSnapshot(1, bytes.NewReader(stream), want.Hash)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
	re, err := Open(db, testNames, Options{})
	require.NoError(t, err)
	defer re.Close()
	require.Equal(t, want, re.LastCommitID())
	require.Equal(t, allPairs(t, src, 1), allPairs(t, re, 1))
}

// TestSnapshotRestoreRejects: wrong app hash, truncation, flipped bytes, garbage, a store
// missing or out of order: each is an error (never a panic) and leaves the store empty,
// ready for a good restore.
func TestSnapshotRestoreRejects(t *testing.T) {
	src, _, _ := openTest(t, "memdb", Options{})
	fillStores(t, src, 3, 50)
	want := src.LastCommitID()
	good := exportBytes(t, src, want.Version)

	dst := openEmpty(t)
	try := func(name string, stream []byte, hash []byte) {
		t.Helper()
		_, err := dst.RestoreSnapshot(want.Version, bytes.NewReader(stream), hash)
		require.Error(t, err, name)
		require.Equal(t, int64(0), dst.LastCommitID().Version, name)
	}
	try("wrong hash", good, bytes.Repeat([]byte{1}, 32))
	for _, n := range []int{0, 1, 5, len(good) / 3, len(good) / 2, len(good) - 1} {
		try(fmt.Sprintf("truncated to %d", n), good[:n], want.Hash)
	}
	for _, at := range []int{0, 3, 10, len(good) / 2, len(good) - 2} {
		bad := bytes.Clone(good)
		bad[at] ^= 0x5a
		try(fmt.Sprintf("byte %d flipped", at), bad, want.Hash)
	}
	try("garbage", bytes.Repeat([]byte{2, 0, 1}, 1000), want.Hash)
	// Stores out of order: the stream of a store set named differently.
	other, err := Open(dbm.NewMemDB(), []string{"zeta", "alpha", "mid"}, Options{})
	require.NoError(t, err)
	defer other.Close()
	commitBlock(t, other, map[string]map[string]string{"alpha": {"k": "v"}})
	try("other stores", exportBytes(t, other, 1), other.LastCommitID().Hash)

	id, err := dst.RestoreSnapshot(want.Version, bytes.NewReader(good), want.Hash)
	require.NoError(t, err)
	require.Equal(t, want, id)
	_, err = dst.RestoreSnapshot(want.Version, bytes.NewReader(good), want.Hash)
	require.ErrorContains(t, err, "must be empty")
}

// TestSnapshotHoldStopsPruning: a version being exported is not pruned under the export.
func TestSnapshotHoldStopsPruning(t *testing.T) {
	ms, _, _ := openTest(t, "memdb", Options{Pruning: PruningOptions{KeepRecent: 2, Interval: 5}})
	fillStores(t, ms, 4, 10)
	release, err := ms.Hold(4)
	require.NoError(t, err)
	fillStores(t, ms, 8, 10) // prunes at 5 and 10: without the hold, 4 would go
	_, err = ms.BranchAt(4)
	require.NoError(t, err)
	release()
	release()                // idempotent
	fillStores(t, ms, 5, 10) // version 15 prunes to 13
	_, err = ms.BranchAt(4)
	require.ErrorContains(t, err, "does not exist")
	_, err = ms.Hold(4)
	require.Error(t, err)
}

// FuzzSnapshotRestore: no input panics the decoder or the restore.
func FuzzSnapshotRestore(f *testing.F) {
	src, err := Open(dbm.NewMemDB(), testNames, Options{})
	if err != nil {
		f.Fatal(err)
	}
	fillStores(f, src, 2, 5)
	good := exportBytes(f, src, 2)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{recStore, 3, 'a', 'c', 'c', recNode, 1, 1, 1, 'k', recEnd})
	f.Add([]byte{recEnd})
	hash := src.LastCommitID().Hash
	_ = src.Close()
	f.Fuzz(func(t *testing.T, stream []byte) {
		ms, err := Open(dbm.NewMemDB(), testNames, Options{})
		require.NoError(t, err)
		defer ms.Close()
		_, _ = ms.RestoreSnapshot(2, bytes.NewReader(stream), hash)
		dec := NewSnapshotDecoder(bytes.NewReader(stream))
		for i := 0; i < 10_000; i++ {
			if rec, err := dec.Next(); err != nil || rec.Kind == recEnd {
				break
			}
		}
	})
}
