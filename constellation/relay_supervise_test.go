package constellation

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRelayReady: `relay` returns once this start's relayer wrote its first line;
// an earlier start's line, a supervisor line or a recovery line does not count.
func TestRelayReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay-x.log")
	require.False(t, relayReady(path, 0), "no log yet")
	old := "2026/12/07 06:50:54 relaying acme (acme-1, client-0) <-> devnet (devnet-1, client-0)\n"
	require.NoError(t, os.WriteFile(path, []byte(old), 0o644))
	require.True(t, relayReady(path, 0))
	from := int64(len(old))
	require.False(t, relayReady(path, from), "the earlier start's line")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteString("2026/12/07 06:51:00.000100 constellation: relayer acme→devnet started, pid 7\n" +
		"2026/12/07 06:51:00.200000 recovered: relaying again\n")
	require.NoError(t, err)
	require.False(t, relayReady(path, from))
	_, err = f.WriteString("2026/12/07 06:51:00.300000 relaying acme (acme-1, client-0) <-> devnet (devnet-1, client-0)\n")
	require.NoError(t, err)
	require.True(t, relayReady(path, from))
}
