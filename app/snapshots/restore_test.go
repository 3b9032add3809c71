package snapshots

import (
	"bytes"
	"compress/zlib"
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/store"
)

var fuzzNames = []string{"acc", "bank"}

func smallStore(t testing.TB) (*store.MultiStore, store.CommitID) {
	ms, err := store.Open(dbm.NewMemDB(), fuzzNames, store.Options{})
	require.NoError(t, err)
	br := ms.Working()
	for i := 0; i < 50; i++ {
		require.NoError(t, br.Store("bank").Set([]byte{byte(i)}, []byte{byte(i), 1}))
	}
	require.NoError(t, br.Write())
	id, err := ms.Commit()
	require.NoError(t, err)
	return ms, id
}

// restoreChunks runs a restore of stream cut in two chunks whose hashes the metadata lists
// (so every chunk passes the hash check and reaches the decompressor and decoder).
func restoreChunks(t testing.TB, stream []byte, height int64, appHash []byte) (abci.ResponseApplySnapshotChunk_Result, store.CommitID) {
	ms, err := store.Open(dbm.NewMemDB(), fuzzNames, store.Options{})
	require.NoError(t, err)
	defer ms.Close()
	chunks := [][]byte{stream[:len(stream)/2], stream[len(stream)/2:]}
	m := Metadata{Height: height}
	for _, c := range chunks {
		m.ChunkHashes = append(m.ChunkHashes, sha256Of(c))
	}
	r := StartRestore(ms, m, appHash)
	defer r.Abort()
	var res abci.ResponseApplySnapshotChunk_Result
	for i, c := range chunks {
		resp, done, _ := r.Apply(uint32(i), c, "p")
		res = resp.Result
		if res != abci.ResponseApplySnapshotChunk_ACCEPT || done {
			return res, ms.LastCommitID()
		}
	}
	return res, ms.LastCommitID()
}

func TestRestoreChunksGoodAndBad(t *testing.T) {
	src, id := smallStore(t)
	defer src.Close()
	files := NewFiles(t.TempDir())
	meta, err := Create(context.Background(), src, files, id.Version, "c", 0, 64)
	require.NoError(t, err)
	var stream []byte
	for i := range meta.ChunkHashes {
		c, err := files.Chunk(id.Version, uint32(i))
		require.NoError(t, err)
		stream = append(stream, c...)
	}
	res, got := restoreChunks(t, stream, id.Version, id.Hash)
	require.Equal(t, abci.ResponseApplySnapshotChunk_ACCEPT, res)
	require.Equal(t, id, got)
	// Chunks that match their hashes but are not a snapshot of this state: the whole
	// snapshot is refused and nothing is committed.
	for name, bad := range map[string][]byte{
		"garbage":        bytes.Repeat([]byte{0x42}, 300),
		"truncated":      stream[:len(stream)*3/4],
		"other app hash": stream,
	} {
		hash := id.Hash
		if name == "other app hash" {
			hash = bytes.Repeat([]byte{9}, 32)
		}
		res, got := restoreChunks(t, bad, id.Version, hash)
		require.Equal(t, abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT, res, name)
		require.Equal(t, int64(0), got.Version, name)
	}
}

// FuzzRestoreChunks: whatever decompresses (or not) from chunks that pass their hash
// check, the restore answers without panicking or hanging, and commits only the state
// with the expected app hash.
func FuzzRestoreChunks(f *testing.F) {
	src, id := smallStore(f)
	var raw bytes.Buffer
	require.NoError(f, src.ExportSnapshot(context.Background(), id.Version, &raw))
	_ = src.Close()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(raw.Bytes())
	_ = zw.Close()
	f.Add(z.Bytes())
	f.Add(raw.Bytes())
	f.Add([]byte{0x78, 0x9c, 0x03, 0x00})
	f.Fuzz(func(t *testing.T, stream []byte) {
		if len(stream) < 2 {
			return
		}
		_, got := restoreChunks(t, stream, id.Version, id.Hash)
		if got.Version != 0 {
			require.Equal(t, id, got)
		}
	})
}
