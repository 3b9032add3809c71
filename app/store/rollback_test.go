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

// RollbackTo goes back several versions, is a no-op at the latest, and refuses
// a version ahead of the state.
func TestRollbackToSeveralVersions(t *testing.T) {
	ms, db, _ := openTest(t, "memdb", Options{})
	var ids []CommitID
	for i := 1; i <= 4; i++ {
		k, v := kv(i)
		ids = append(ids, commitBlock(t, ms, map[string]map[string]string{"bank": {k: v}}))
	}
	require.NoError(t, ms.Close())
	_, err := RollbackTo(db, testNames, 5)
	require.ErrorContains(t, err, "cannot roll back to version 5: the state is at version 4")
	id, err := RollbackTo(db, testNames, 4)
	require.NoError(t, err)
	require.Equal(t, ids[3], id)
	id, err = RollbackTo(db, testNames, 2)
	require.NoError(t, err)
	require.Equal(t, ids[1], id)
	ms, err = Open(db, testNames, Options{})
	require.NoError(t, err)
	require.Equal(t, ids[1], ms.LastCommitID())
	require.NoError(t, ms.Close())
}
