package app_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
)

// [mempool] round-trips through app.toml, an app.toml from before the section
// gets the defaults, and bad values name their key.
func TestMempoolConfig(t *testing.T) {
	home := t.TempDir()
	def := app.DefaultConfig().Mempool
	require.Equal(t, app.MempoolConfig{BlockTime: 500 * time.Millisecond, AheadBlocks: 2, AdmitWait: time.Second}, def)

	c := app.DefaultConfig()
	c.Mempool = app.MempoolConfig{BlockTime: 300 * time.Millisecond, AheadBlocks: 3, AdmitWait: 2 * time.Second}
	require.NoError(t, app.WriteConfig(home, c))
	bz, err := os.ReadFile(app.ConfigPath(home))
	require.NoError(t, err)
	require.Contains(t, string(bz), "[mempool]\n")
	got, err := app.LoadConfig(home)
	require.NoError(t, err)
	require.Equal(t, c.Mempool, got.Mempool)

	// An app.toml from before the section: the defaults.
	i, j := strings.Index(string(bz), "[mempool]"), strings.Index(string(bz), "[state]")
	old := string(bz)[:i] + string(bz)[j:]
	require.NoError(t, os.WriteFile(app.ConfigPath(home), []byte(old), 0o644))
	got, err = app.LoadConfig(home)
	require.NoError(t, err)
	require.Equal(t, def, got.Mempool)

	for _, bad := range []struct{ from, to, key string }{
		{`block-time = "300ms"`, `block-time = "1ms"`, "mempool.block-time"},
		{`block-time = "300ms"`, `block-time = "2h"`, "mempool.block-time"},
		{`ahead-blocks = 3`, `ahead-blocks = 0`, "mempool.ahead-blocks"},
		{`ahead-blocks = 3`, `ahead-blocks = 1000`, "mempool.ahead-blocks"},
		{`admit-wait = "2s"`, `admit-wait = "-1s"`, "mempool.admit-wait"},
		{`admit-wait = "2s"`, `admit-wait = "5m"`, "mempool.admit-wait"},
	} {
		require.Contains(t, string(bz), bad.from)
		edited := strings.Replace(string(bz), bad.from, bad.to, 1)
		require.NoError(t, os.WriteFile(app.ConfigPath(home), []byte(edited), 0o644))
		_, err := app.LoadConfig(home)
		require.ErrorContains(t, err, "app.toml "+bad.key+": ", bad.to)
	}
}
