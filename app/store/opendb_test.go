package store_test

import (
	"bufio"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/store"
)

// A database another process holds (a node already running from this home)
// is named as such, instead of pebble's bare "resource temporarily unavailable".
func TestOpenDBLockedSaysANodeRuns(t *testing.T) {
	if dir := os.Getenv("SELFCHAIN_TEST_HOLD_DB"); dir != "" { // the other process
		db, err := store.OpenDB(os.Getenv("SELFCHAIN_TEST_HOLD_BACKEND"), "application", dir)
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("held\n")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
		_ = db.Close()
		return
	}
	for _, backend := range []string{"pebbledb", "goleveldb"} {
		dir := t.TempDir()
		holder := exec.Command(os.Args[0], "-test.run=^TestOpenDBLockedSaysANodeRuns$")
		holder.Env = append(os.Environ(), "SELFCHAIN_TEST_HOLD_DB="+dir, "SELFCHAIN_TEST_HOLD_BACKEND="+backend)
		stdin, err := holder.StdinPipe()
		require.NoError(t, err)
		stdout, err := holder.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, holder.Start())
		line, err := bufio.NewReader(stdout).ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "held\n", line)

		_, err = store.OpenDB(backend, "application", dir)
		require.Error(t, err, backend)
		require.Contains(t, err.Error(), "is locked by another process: is a node already running from this home? Stop it first", backend)

		require.NoError(t, stdin.Close())
		require.NoError(t, holder.Wait())
		db, err := store.OpenDB(backend, "application", dir)
		require.NoError(t, err, "free again once the other process stopped")
		require.NoError(t, db.Close())
	}
}
