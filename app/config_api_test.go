package app_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
)

// [api] address: off in the defaults (and so in an app.toml from before the
// section), written and read back, and addresses the node cannot listen on are
// refused naming the key.
func TestAPIConfig(t *testing.T) {
	def := app.DefaultConfig()
	require.Empty(t, def.API.Address)
	addr, err := def.API.ListenAddr()
	require.NoError(t, err)
	require.Empty(t, addr)

	home := t.TempDir()
	c := def
	c.API.Address = app.DefaultAPIAddress
	require.NoError(t, app.WriteConfig(home, c))
	bz, err := os.ReadFile(app.ConfigPath(home))
	require.NoError(t, err)
	require.Contains(t, string(bz), "[api]\n")
	require.Contains(t, string(bz), `address = "tcp://127.0.0.1:26659"`)
	got, err := app.LoadConfig(home)
	require.NoError(t, err)
	require.Equal(t, c, got)
	addr, err = got.API.ListenAddr()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:26659", addr)

	old := string(bz[:strings.Index(string(bz), "\n[api]")])
	require.NoError(t, os.WriteFile(app.ConfigPath(home), []byte(old), 0o644))
	got, err = app.LoadConfig(home)
	require.NoError(t, err)
	require.Empty(t, got.API.Address, "an app.toml without [api] opens no port")

	for _, ok := range []string{"tcp://0.0.0.0:8080", "127.0.0.1:0", "tcp://[::1]:26659"} {
		c.API.Address = ok
		require.NoError(t, c.Validate(), ok)
	}
	for _, bad := range []string{"unix:///tmp/api.sock", "http://127.0.0.1:26659", "127.0.0.1", "tcp://localhost"} {
		c.API.Address = bad
		require.ErrorContains(t, c.Validate(), "app.toml api.address", bad)
	}
}
