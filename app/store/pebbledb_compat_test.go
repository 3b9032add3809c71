package store

import (
	"bytes"
	"fmt"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

// compatData writes n keys through db (direct sets, a batch, deletes) and returns
// what db must then hold.
func compatData(t *testing.T, db dbm.DB, n int) map[string][]byte {
	t.Helper()
	want := map[string][]byte{}
	for i := range n {
		k, v := fmt.Appendf(nil, "k/%06d", i), bytes.Repeat([]byte{byte(i)}, i%300)
		require.NoError(t, db.Set(k, v))
		want[string(k)] = v
	}
	b := db.NewBatch()
	for i := range n / 2 {
		k := fmt.Appendf(nil, "b/%06d", i)
		require.NoError(t, b.Set(k, k))
		want[string(k)] = k
	}
	require.NoError(t, b.Write())
	for i := 0; i < n; i += 7 {
		k := fmt.Appendf(nil, "k/%06d", i)
		require.NoError(t, db.Delete(k))
		delete(want, string(k))
	}
	return want
}

// A home written by cosmos-db's pebble adapter (every node before this one)
// opens unchanged with ours and reads back the same, and the other way round:
// same directory, keys and pebble format.
func TestPebbleDBOpensCosmosDBHomesAndBack(t *testing.T) {
	const n = 3000
	dir := t.TempDir()
	theirs, err := dbm.NewPebbleDB("application", dir, nil)
	require.NoError(t, err)
	want := compatData(t, theirs, n)
	require.NoError(t, theirs.Close())

	ours, err := OpenDB("pebbledb", "application", dir)
	require.NoError(t, err)
	assertKeyValues(t, ours, want)
	for k, v := range want {
		got, err := ours.Get([]byte(k))
		require.NoError(t, err)
		require.Equal(t, v, got, k)
	}
	// Ours adds to it, then theirs reads everything back.
	more := compatData(t, prefixed{ours, "ours/"}, n)
	for k, v := range more {
		want["ours/"+k] = v
	}
	require.NoError(t, ours.Close())

	theirs, err = dbm.NewPebbleDB("application", dir, nil)
	require.NoError(t, err)
	assertKeyValues(t, theirs, want)
	require.NoError(t, theirs.Close())
}

// prefixed writes under a prefix, so a second compatData run keeps the first's keys.
type prefixed struct {
	dbm.DB
	p string
}

func (d prefixed) Set(k, v []byte) error { return d.DB.Set(append([]byte(d.p), k...), v) }
func (d prefixed) Delete(k []byte) error { return d.DB.Delete(append([]byte(d.p), k...)) }
func (d prefixed) NewBatch() dbm.Batch   { return prefixedBatch{d.DB.NewBatch(), d.p} }

type prefixedBatch struct {
	dbm.Batch
	p string
}

func (b prefixedBatch) Set(k, v []byte) error { return b.Batch.Set(append([]byte(b.p), k...), v) }

// A state multistore committed on cosmos-db's adapter reopens on ours at the same
// version and app hash (the upgrade path of an existing node's home).
func TestPebbleDBOpensCosmosDBMultiStore(t *testing.T) {
	dir := t.TempDir()
	theirs, err := dbm.NewPebbleDB("state", dir, nil)
	require.NoError(t, err)
	ms, err := Open(theirs, testNames, Options{})
	require.NoError(t, err)
	commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "1", "b": "2"}, "acc": {"x": "y"}})
	id := commitBlock(t, ms, map[string]map[string]string{"bank": {"a": ""}, "staking": {"v": "w"}})
	require.NoError(t, ms.Close())
	require.NoError(t, theirs.Close())

	ours, err := OpenDB("pebbledb", "state", dir)
	require.NoError(t, err)
	defer ours.Close()
	ms, err = Open(ours, testNames, Options{})
	require.NoError(t, err)
	defer ms.Close()
	require.Equal(t, id, ms.LastCommitID())
}
