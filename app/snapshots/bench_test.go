package snapshots

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/store"
)

// TestSnapshotThroughput (BENCH_SNAPSHOT_KEYS=n, e.g. 200000) times taking a snapshot of
// a store of n keys on pebble and restoring it into an empty one, chunk by chunk.
func TestSnapshotThroughput(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("BENCH_SNAPSHOT_KEYS"))
	if n <= 0 {
		t.Skip("BENCH_SNAPSHOT_KEYS not set")
	}
	names := []string{"auth", "bank"}
	db, err := store.OpenDB("pebbledb", "state", t.TempDir())
	require.NoError(t, err)
	defer db.Close()
	ms, err := store.Open(db, names, store.Options{})
	require.NoError(t, err)
	defer ms.Close()
	br := ms.Working()
	for i := 0; i < n; i++ {
		k := []byte(fmt.Sprintf("account/%032d", i*7919%n))
		require.NoError(t, br.Store("auth").Set(k, []byte(fmt.Sprintf("{number:%d,sequence:0,pubkey:%064d}", i, i))))
		require.NoError(t, br.Store("bank").Set(k, []byte(fmt.Sprintf("%d uself", 1_000_000+i))))
	}
	require.NoError(t, br.Write())
	id, err := ms.Commit()
	require.NoError(t, err)

	files := NewFiles(t.TempDir())
	start := time.Now()
	meta, err := Create(context.Background(), ms, files, id.Version, "c", 0, DefaultChunkSize)
	require.NoError(t, err)
	t.Logf("snapshot of %d keys: %d chunks in %s", 2*n, len(meta.ChunkHashes), time.Since(start))

	db2, err := store.OpenDB("pebbledb", "state", t.TempDir())
	require.NoError(t, err)
	defer db2.Close()
	ms2, err := store.Open(db2, names, store.Options{})
	require.NoError(t, err)
	defer ms2.Close()
	start = time.Now()
	r := StartRestore(ms2, meta, id.Hash)
	for i := range meta.ChunkHashes {
		bz, err := files.Chunk(meta.Height, uint32(i))
		require.NoError(t, err)
		t0 := time.Now()
		_, done, err := r.Apply(uint32(i), bz, "p")
		require.NoError(t, err)
		t.Logf("chunk %d applied in %s (done %v)", i, time.Since(t0), done)
	}
	t.Logf("restore: %s", time.Since(start))
	require.Equal(t, id, ms2.LastCommitID())
}
