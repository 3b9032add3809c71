package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewPruningOptions(t *testing.T) {
	p, err := NewPruningOptions("nothing", 5, 5)
	require.NoError(t, err)
	require.Equal(t, PruningOptions{}, p)
	p, err = NewPruningOptions("default", 0, 0)
	require.NoError(t, err)
	require.Equal(t, PruningOptions{KeepRecent: 362880, Interval: 10}, p)
	p, err = NewPruningOptions("everything", 0, 0)
	require.NoError(t, err)
	require.Equal(t, PruningOptions{KeepRecent: 2, Interval: 10}, p)
	p, err = NewPruningOptions("custom", 100, 7)
	require.NoError(t, err)
	require.Equal(t, PruningOptions{KeepRecent: 100, Interval: 7}, p)

	_, err = NewPruningOptions("custom", 100, 0)
	require.ErrorContains(t, err, "interval")
	_, err = NewPruningOptions("custom", 1, 10)
	require.ErrorContains(t, err, "keep-recent")
	_, err = NewPruningOptions("sometimes", 1, 10)
	require.ErrorContains(t, err, `"sometimes"`)
}

func TestPruneTarget(t *testing.T) {
	p := PruningOptions{KeepRecent: 2, Interval: 10}
	for v, want := range map[int64]int64{10: 8, 20: 18, 5: 0, 11: 0} {
		got, ok := p.pruneTarget(v)
		require.Equal(t, want != 0, ok, "v=%d", v)
		require.Equal(t, want, got, "v=%d", v)
	}
	_, ok := PruningOptions{KeepRecent: 20, Interval: 10}.pruneTarget(20)
	require.False(t, ok)
	_, ok = PruningOptions{}.pruneTarget(10)
	require.False(t, ok)
}

func TestPruningEverything(t *testing.T) {
	opts, err := NewPruningOptions("everything", 0, 0)
	require.NoError(t, err)
	ms, db, _ := openTest(t, "goleveldb", Options{Pruning: opts})
	for v := 1; v <= 25; v++ {
		k, val := kv(v)
		commitBlock(t, ms, map[string]map[string]string{"bank": {k: val, "counter": val}})
	}
	// Pruned at 10 (to 8) and 20 (to 18): 19..25 remain.
	for v := int64(1); v <= 18; v++ {
		_, err := ms.BranchAt(v)
		require.ErrorContains(t, err, "does not exist", "v=%d", v)
		_, _, err = ms.Query("bank", []byte("counter"), v, true)
		require.Error(t, err)
	}
	for v := int64(19); v <= 25; v++ {
		b, err := ms.BranchAt(v)
		require.NoError(t, err)
		_, val := kv(int(v))
		require.Equal(t, []byte(val), mustGet(t, b.Store("bank"), "counter"))
		k, _ := kv(3)
		require.Equal(t, []byte("val3"), mustGet(t, b.Store("bank"), k))
	}
	for i, tree := range ms.trees {
		require.Equal(t, []int{19, 20, 21, 22, 23, 24, 25}, tree.AvailableVersions(), ms.names[i])
	}
	earliest, err := earliestCommitInfo(db)
	require.NoError(t, err)
	require.Equal(t, int64(19), earliest)

	// Reopen keeps the retained range.
	last := ms.LastCommitID()
	require.NoError(t, ms.Close())
	ms2, err := Open(db, testNames, Options{Pruning: opts})
	require.NoError(t, err)
	defer ms2.Close()
	require.Equal(t, last, ms2.LastCommitID())
	_, err = ms2.BranchAt(18)
	require.ErrorContains(t, err, "version 18")
	_, err = ms2.BranchAt(19)
	require.NoError(t, err)
	_, err = ms2.BranchAt(26)
	require.ErrorContains(t, err, "version 26")
}

func TestPruningNothingKeepsAll(t *testing.T) {
	ms, _, _ := openTest(t, "memdb", Options{})
	for v := 1; v <= 30; v++ {
		commitBlock(t, ms, map[string]map[string]string{"bank": {"c": string(rune('a' + v%26))}})
	}
	for v := int64(1); v <= 30; v++ {
		_, err := ms.BranchAt(v)
		require.NoError(t, err)
	}
}
