package store

import (
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

// A store upgrade adds, renames and deletes stores on top of the latest version;
// it takes effect with the next commit, and a crash before that commit reopens
// the old version and applies it again.
func TestStoreUpgrades(t *testing.T) {
	db := dbm.NewMemDB()
	ms, err := Open(db, []string{"bank", "acc", "staking"}, Options{})
	require.NoError(t, err)
	commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "1"}, "acc": {"x": "7", "y": "8"}, "staking": {"s": "9"}})
	v1 := commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "2"}})
	require.NoError(t, ms.Close())

	after := []string{"bank", "accounts", "newmod"}
	up := Upgrades{Added: []string{"newmod"}, Renamed: []Rename{{From: "acc", To: "accounts"}}, Deleted: []string{"staking"}}

	// Opening the new list without the upgrade names the mismatch.
	_, err = Open(db, after, Options{})
	require.ErrorContains(t, err, "a store added to an existing chain")
	// Wrong upgrades are refused.
	_, err = OpenWithUpgrades(db, after, Options{}, Upgrades{Added: []string{"newmod"}})
	require.Error(t, err)
	_, err = OpenWithUpgrades(db, after, Options{}, Upgrades{Added: []string{"newmod", "newmod"}, Renamed: up.Renamed, Deleted: up.Deleted})
	require.ErrorContains(t, err, "both")

	// Opened but not committed (a crash): the old version still opens as before.
	ms, err = OpenWithUpgrades(db, after, Options{}, up)
	require.NoError(t, err)
	require.Equal(t, v1, ms.LastCommitID())
	require.NoError(t, ms.Close())

	ms, err = OpenWithUpgrades(db, after, Options{}, up)
	require.NoError(t, err)
	// The committed version reads the new store as empty.
	old, err := ms.BranchAt(v1.Version)
	require.NoError(t, err)
	require.Nil(t, mustGet(t, old.Store("newmod"), "k"))
	v2 := commitBlock(t, ms, map[string]map[string]string{"newmod": {"k": "v"}})
	require.Equal(t, v1.Version+1, v2.Version)
	b, err := ms.BranchAt(v2.Version)
	require.NoError(t, err)
	require.Equal(t, "7", string(mustGet(t, b.Store("accounts"), "x")))
	require.Equal(t, "2", string(mustGet(t, b.Store("bank"), "a")))
	require.Equal(t, "v", string(mustGet(t, b.Store("newmod"), "k")))
	require.NoError(t, ms.Close())

	// Reopened plainly with the new list; the removed stores' data is gone.
	ms, err = Open(db, after, Options{})
	require.NoError(t, err)
	require.Equal(t, v2, ms.LastCommitID())
	require.NoError(t, ms.Close())
	for _, gone := range []string{"acc", "staking"} {
		it, err := dbm.NewPrefixDB(db, treePrefix(gone)).Iterator(nil, nil)
		require.NoError(t, err)
		require.False(t, it.Valid(), "data of %s left", gone)
		require.NoError(t, it.Close())
	}

	// ReadCommitted reads one key without opening the multistore.
	bz, latest, err := ReadCommitted(db, "accounts", []byte("y"))
	require.NoError(t, err)
	require.Equal(t, v2.Version, latest)
	require.Equal(t, "8", string(bz))
	bz, _, err = ReadCommitted(db, "nope", []byte("y"))
	require.NoError(t, err)
	require.Nil(t, bz)
}
