package app_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
)

// [server] memory-limit: init's default, a written value read back, an app.toml
// from before the key gets the default, and sizes the runtime cannot use are
// refused naming the key.
func TestServerMemoryLimitConfig(t *testing.T) {
	def := app.DefaultConfig()
	require.Equal(t, app.DefaultMemoryLimit, def.Server.MemoryLimit)
	n, err := def.Server.MemoryLimitBytes()
	require.NoError(t, err)
	require.Equal(t, int64(300<<20), n)

	home := t.TempDir()
	c := def
	c.Server.MemoryLimit = "1GiB"
	require.NoError(t, app.WriteConfig(home, c))
	bz, err := os.ReadFile(app.ConfigPath(home))
	require.NoError(t, err)
	require.Contains(t, string(bz), "[server]\n")
	require.Contains(t, string(bz), `memory-limit = "1GiB"`)
	got, err := app.LoadConfig(home)
	require.NoError(t, err)
	require.Equal(t, c, got)

	old := strings.Replace(string(bz), "memory-limit = \"1GiB\"\n", "", 1)
	require.NotContains(t, old, "memory-limit")
	require.NoError(t, os.WriteFile(app.ConfigPath(home), []byte(old), 0o644))
	got, err = app.LoadConfig(home)
	require.NoError(t, err)
	require.Equal(t, app.DefaultMemoryLimit, got.Server.MemoryLimit)

	for _, none := range []string{"0", ""} {
		n, err := app.ServerConfig{MemoryLimit: none}.MemoryLimitBytes()
		require.NoError(t, err)
		require.Zero(t, n)
	}
	for _, bad := range []string{"lots", "-1MiB", "1.5GiB", "32MiB"} {
		c := def
		c.Server.MemoryLimit = bad
		err := c.Validate()
		require.ErrorContains(t, err, "app.toml server.memory-limit", bad)
	}
}
