package app_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/testutil"
)

// waitSnapshot waits until a's background snapshot of height is listed.
func waitSnapshot(t *testing.T, a *app.App, height uint64) *abci.Snapshot {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := a.ListSnapshots(context.Background(), &abci.RequestListSnapshots{})
		require.NoError(t, err)
		for _, s := range res.Snapshots {
			if s.Height == height {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot of height %d; have %v", height, res.Snapshots)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func chunkOf(t *testing.T, a *app.App, s *abci.Snapshot, i uint32) []byte {
	t.Helper()
	res, err := a.LoadSnapshotChunk(context.Background(), &abci.RequestLoadSnapshotChunk{Height: s.Height, Format: s.Format, Chunk: i})
	require.NoError(t, err)
	require.NotEmpty(t, res.Chunk)
	return res.Chunk
}

// TestStateSyncABCI runs the four snapshot calls between two apps: the source takes
// snapshots in the background while blocks commit and keeps the newest two; the joiner
// refuses a snapshot whose roots do not give the verified app hash, asks for a bad chunk
// again from another peer (rejecting the sender), restarts on chunks out of order, then
// restores, reports the snapshot's height and app hash, reads the same balances, and
// executes the next block to the same app hash as the source.
func TestStateSyncABCI(t *testing.T) {
	ctx := context.Background()
	cfg := testutil.Config()
	cfg.StateSync.SnapshotDir = t.TempDir()
	cfg.StateSync.SnapshotInterval = 3
	cfg.StateSync.SnapshotChunkSize = 512 // many chunks
	accs := make([]*testutil.Account, 50)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	src := testutil.NewTestApp(t, nil, cfg, testutil.GenesisAppState(accs, 1_000_000))
	for h := 0; h < 9; h++ {
		src.NextBlock(testutil.Send(accs[h], accs[h+1].Addr, 1000, testutil.TxOpts{}))
		if (h+1)%3 == 0 {
			waitSnapshot(t, src.App, uint64(h+1))
		}
	}
	list, err := src.ListSnapshots(ctx, &abci.RequestListSnapshots{})
	require.NoError(t, err)
	require.Len(t, list.Snapshots, 2, "snapshot-keep-recent 2")
	require.Equal(t, []uint64{9, 6}, []uint64{list.Snapshots[0].Height, list.Snapshots[1].Height})
	snap := list.Snapshots[0]
	require.Greater(t, snap.Chunks, uint32(4))
	appHash := src.Blocks[8].AppHash // state after height 9

	jcfg := testutil.Config()
	jdb := dbm.NewMemDB()
	joiner, err := app.New(nil, jdb, jcfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = joiner.Close() })

	offer := func(s *abci.Snapshot, hash []byte) abci.ResponseOfferSnapshot_Result {
		res, err := joiner.OfferSnapshot(ctx, &abci.RequestOfferSnapshot{Snapshot: s, AppHash: hash})
		require.NoError(t, err)
		return res.Result
	}
	apply := func(i uint32, chunk []byte, sender string) *abci.ResponseApplySnapshotChunk {
		res, err := joiner.ApplySnapshotChunk(ctx, &abci.RequestApplySnapshotChunk{Index: i, Chunk: chunk, Sender: sender})
		require.NoError(t, err)
		return res
	}
	// Without the node's genesis there is nothing to take the chain's parameters from.
	require.Equal(t, abci.ResponseOfferSnapshot_ABORT, offer(snap, appHash))
	joiner.SetRestoreGenesis(testutil.ChainID, nil)

	require.Equal(t, abci.ResponseOfferSnapshot_REJECT, offer(snap, bytes.Repeat([]byte{7}, 32)), "roots not matching the verified app hash")
	forged := *snap
	forged.Hash = bytes.Repeat([]byte{1}, 32)
	require.Equal(t, abci.ResponseOfferSnapshot_REJECT, offer(&forged, appHash), "hash not of the metadata")
	forged = *snap
	forged.Metadata = []byte{1, 2, 3}
	require.Equal(t, abci.ResponseOfferSnapshot_REJECT, offer(&forged, appHash), "garbage metadata")
	forged = *snap
	forged.Format = 9
	require.Equal(t, abci.ResponseOfferSnapshot_REJECT_FORMAT, offer(&forged, appHash))
	require.Equal(t, abci.ResponseApplySnapshotChunk_RETRY_SNAPSHOT, apply(0, chunkOf(t, src.App, snap, 0), "p").Result, "no accepted offer")

	require.Equal(t, abci.ResponseOfferSnapshot_ACCEPT, offer(snap, appHash))
	good0 := chunkOf(t, src.App, snap, 0)
	for name, bad := range map[string][]byte{
		"flipped":   append([]byte{good0[0] ^ 1}, good0[1:]...),
		"truncated": good0[:len(good0)-1],
		"garbage":   bytes.Repeat([]byte{0xAB}, len(good0)),
		"empty":     {},
		"other":     chunkOf(t, src.App, snap, 1),
	} {
		res := apply(0, bad, "badpeer")
		require.Equal(t, abci.ResponseApplySnapshotChunk_RETRY, res.Result, name)
		require.Equal(t, []uint32{0}, res.RefetchChunks, name)
		require.Equal(t, []string{"badpeer"}, res.RejectSenders, name)
	}
	require.Equal(t, abci.ResponseApplySnapshotChunk_ACCEPT, apply(0, good0, "good").Result)
	require.Equal(t, abci.ResponseApplySnapshotChunk_RETRY_SNAPSHOT, apply(2, chunkOf(t, src.App, snap, 2), "good").Result, "out of order")

	// CometBFT offers the snapshot again after RETRY_SNAPSHOT.
	require.Equal(t, abci.ResponseOfferSnapshot_ACCEPT, offer(snap, appHash))
	for i := uint32(0); i < snap.Chunks; i++ {
		res := apply(i, chunkOf(t, src.App, snap, i), "good")
		require.Equal(t, abci.ResponseApplySnapshotChunk_ACCEPT, res.Result, "chunk %d", i)
	}
	info, err := joiner.Info(ctx, &abci.RequestInfo{})
	require.NoError(t, err)
	require.Equal(t, int64(9), info.LastBlockHeight)
	require.Equal(t, appHash, info.LastBlockAppHash)
	require.Equal(t, testutil.ChainID, joiner.ChainID())
	require.Equal(t, src.LastBlockTime(), joiner.LastBlockTime())
	require.Equal(t, abci.ResponseOfferSnapshot_ABORT, offer(snap, appHash), "state is no longer empty")

	jt := &testutil.TestApp{App: joiner, TB: t, DB: jdb, Height: src.Height, Time: src.Time}
	for _, acc := range accs[:12] {
		require.Equal(t, src.Balance(acc.Addr, testutil.Denom), jt.Balance(acc.Addr, testutil.Denom))
	}
	// Both execute block 10 to the same app hash.
	tx := testutil.Send(accs[20], accs[21].Addr, 5, testutil.TxOpts{})
	src.NextBlock(tx)
	req := &abci.RequestFinalizeBlock{Height: 10, Time: src.Time, Txs: [][]byte{tx}, ProposerAddress: make([]byte, 20)}
	_, err = joiner.FinalizeBlock(ctx, req)
	require.NoError(t, err)
	_, err = joiner.Commit(ctx, &abci.RequestCommit{})
	require.NoError(t, err)
	require.Equal(t, src.LastCommitID(), joiner.LastCommitID())
}
