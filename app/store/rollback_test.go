package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Rollback drops the latest version: the store reopens at the previous one with
// its app hash, the dropped version's writes are gone, and committing the same
// writes again gives the same version and hash.
func TestRollbackDropsTheLatestVersion(t *testing.T) {
	ms, db, _ := openTest(t, "pebbledb", Options{})
	v1 := commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "1"}, "acc": {"x": "1"}})
	block2 := map[string]map[string]string{"bank": {"a": "2", "b": "2"}, "staking": {"s": "2"}, "acc": {"x": ""}}
	v2 := commitBlock(t, ms, block2)
	require.NoError(t, ms.Close())

	id, err := Rollback(db, testNames)
	require.NoError(t, err)
	require.Equal(t, v1, id)

	ms, err = Open(db, testNames, Options{})
	require.NoError(t, err)
	require.Equal(t, v1, ms.LastCommitID())
	_, err = ms.BranchAt(2)
	require.ErrorContains(t, err, "not committed yet")
	br, err := ms.BranchAt(1)
	require.NoError(t, err)
	require.Equal(t, []byte("1"), mustGet(t, br.Store("bank"), "a"))
	require.Nil(t, mustGet(t, br.Store("bank"), "b"))
	require.Equal(t, []byte("1"), mustGet(t, br.Store("acc"), "x"))

	require.Equal(t, v2, commitBlock(t, ms, block2), "re-executing the block reaches the same hash")
	require.NoError(t, ms.Close())
}

// With nothing before the latest version (nothing committed, only version 1, or
// the previous version pruned), Rollback refuses and changes nothing.
func TestRollbackRefusesWithNothingToGoBackTo(t *testing.T) {
	ms, db, _ := openTest(t, "memdb", Options{Pruning: PruningOptions{KeepRecent: 2, Interval: 1}})
	require.NoError(t, ms.Close())
	_, err := Rollback(db, testNames)
	require.ErrorIs(t, err, ErrNothingToRollback)
	require.ErrorContains(t, err, "no version is committed")

	ms, err = Open(db, testNames, Options{Pruning: PruningOptions{KeepRecent: 2, Interval: 1}})
	require.NoError(t, err)
	v1 := commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "1"}})
	require.NoError(t, ms.Close())
	_, err = Rollback(db, testNames)
	require.ErrorIs(t, err, ErrNothingToRollback)

	ms, err = Open(db, testNames, Options{Pruning: PruningOptions{KeepRecent: 2, Interval: 1}})
	require.NoError(t, err)
	require.Equal(t, v1, ms.LastCommitID(), "a refused rollback changes nothing")
	for i := 2; i <= 4; i++ {
		commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "x"}})
	}
	require.NoError(t, ms.Close())
	// Versions 3 and 4 are kept: one rollback works, the next has nothing before it.
	id, err := Rollback(db, testNames)
	require.NoError(t, err)
	require.Equal(t, int64(3), id.Version)
	_, err = Rollback(db, testNames)
	require.ErrorIs(t, err, ErrNothingToRollback)
	require.ErrorContains(t, err, "earliest")
}
