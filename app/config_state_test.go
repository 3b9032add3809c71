package app_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/store"
)

// [state] db-cache-size round-trips through app.toml, a file written before it
// existed gets the default, and a bad size names the key and the expected form.
func TestStateDBCacheSizeConfig(t *testing.T) {
	home := t.TempDir()
	def := app.DefaultConfig()
	require.Equal(t, "128MiB", def.State.DBCacheSize)
	o, err := def.State.DBOptions()
	require.NoError(t, err)
	require.Equal(t, int64(store.DefaultDBCacheBytes), o.CacheBytes)

	c := app.DefaultConfig()
	c.State.DBCacheSize = "64MiB"
	require.NoError(t, app.WriteConfig(home, c))
	bz, err := os.ReadFile(app.ConfigPath(home))
	require.NoError(t, err)
	require.Contains(t, string(bz), `db-cache-size = "64MiB"`)
	got, err := app.LoadConfig(home)
	require.NoError(t, err)
	require.Equal(t, c.State, got.State)
	o, err = got.State.DBOptions()
	require.NoError(t, err)
	require.Equal(t, int64(64<<20), o.CacheBytes)

	// An app.toml from before the key: the default.
	old := strings.Replace(string(bz), "db-cache-size = \"64MiB\"\n", "", 1)
	require.NotContains(t, old, "db-cache-size")
	require.NoError(t, os.WriteFile(app.ConfigPath(home), []byte(old), 0o644))
	got, err = app.LoadConfig(home)
	require.NoError(t, err)
	require.Equal(t, def.State.DBCacheSize, got.State.DBCacheSize)

	for _, bad := range []string{"lots", "256 MB/s", "-1MiB", "1.5GiB", "99999999999GiB"} {
		edited := strings.Replace(string(bz), `db-cache-size = "64MiB"`, `db-cache-size = "`+bad+`"`, 1)
		require.NoError(t, os.WriteFile(app.ConfigPath(home), []byte(edited), 0o644))
		_, err := app.LoadConfig(home)
		require.ErrorContains(t, err, "app.toml state.db-cache-size: ", bad)
		require.ErrorContains(t, err, bad)
		if bad != "99999999999GiB" {
			require.ErrorContains(t, err, "e.g. 256MiB", bad)
		}
	}
}

// OpenStateDB opens the home's "application" database on our pebble adapter with
// [state]'s options, and refuses a bad size before touching the directory.
func TestOpenStateDB(t *testing.T) {
	c := app.DefaultConfig()
	c.State.DBCacheSize = "16MiB"
	dir := t.TempDir()
	db, err := c.OpenStateDB(dir)
	require.NoError(t, err)
	_, ok := db.(*store.PebbleDB)
	require.True(t, ok)
	require.NoError(t, db.Set([]byte("k"), []byte("v")))
	require.NoError(t, db.Close())
	require.DirExists(t, dir+"/application.db")

	c.State.DBCacheSize = "big"
	empty := t.TempDir()
	_, err = c.OpenStateDB(empty)
	require.ErrorContains(t, err, "state.db-cache-size")
	entries, err := os.ReadDir(empty)
	require.NoError(t, err)
	require.Empty(t, entries)
}
