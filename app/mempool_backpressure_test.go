package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
)

// Under overload the app mempool holds ahead-blocks proposals' worth of txs: an
// RPC submission beyond that waits admit-wait for room and is then refused with the retryable mempool-full code (state and
// pool untouched); a replacement still gets in; a proposal takes at most the cap;
// and the block's commit wakes a waiting submission, which is then admitted.
func TestAppMempoolBackpressure(t *testing.T) {
	cfg := testutil.Config()
	cfg.Mempool.BlockTime = 10 * time.Millisecond // below the floor: the cap is minBlockTxs
	cfg.Mempool.AheadBlocks = 2
	cfg.Mempool.AdmitWait = 3 * time.Second
	const accounts = 2_010
	accs := make([]*testutil.Account, accounts)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	ta := testutil.NewTestApp(t, nil, cfg, testutil.GenesisAppState(accs, 1_000_000))
	ta.EnableAppMempool(app.MempoolLimits{})
	ta.NextBlock()
	cap0 := ta.ProposalTxCap()
	require.Equal(t, 1_000, cap0)
	limit := 2 * cap0
	for i := 0; i < limit; i++ {
		require.Zero(t, insert(t, ta, testutil.Send(accs[i], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(100)})))
	}
	hash := ta.LastCommitID().Hash

	over := testutil.Send(accs[limit], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(100)})
	start := time.Now()
	roomWait := counterValue(t, "selfchain_mempool_admit_wait_seconds_total", "stage", "room")
	res := ta.CheckTx(over)
	require.Equal(t, runtime.ErrMempoolFull.Code(), res.Code, res.Log)
	require.GreaterOrEqual(t, res.Code, abci.CodeTypeRetry)
	require.GreaterOrEqual(t, time.Since(start), cfg.Mempool.AdmitWait, "an RPC submission waits for room first")
	require.GreaterOrEqual(t, counterValue(t, "selfchain_mempool_admit_wait_seconds_total", "stage", "room")-roomWait,
		cfg.Mempool.AdmitWait.Seconds(), "the wait for room is counted")
	require.Contains(t, res.Log, "retry after the next block")
	// The account's next tx is not a replacement either.
	accs[1].Seq = 1
	require.Equal(t, runtime.ErrMempoolFull.Code(), ta.CheckTx(testutil.Send(accs[1], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(100)})).Code)
	n, _ := ta.MempoolSize()
	require.Equal(t, limit, n)
	require.Equal(t, hash, ta.LastCommitID().Hash)

	// A replacement (10% more) needs no room.
	accs[2].Seq = 0
	require.Zero(t, insert(t, ta, testutil.Send(accs[2], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(110)})))
	n, _ = ta.MempoolSize()
	require.Equal(t, limit, n)

	// A submission waiting for room is admitted once a block makes room.
	got := make(chan *abci.ResponseCheckTx, 1)
	go func() {
		r, _ := ta.App.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: over})
		got <- r
	}()
	time.Sleep(50 * time.Millisecond)
	capped := counterValue(t, "selfchain_mempool_proposals_capped_total")
	blk := proposeAndCommit(t, ta, 1<<22)
	require.Len(t, blk.TxResults, cap0, "a proposal takes at most the cap")
	require.Equal(t, capped+1, counterValue(t, "selfchain_mempool_proposals_capped_total"), "the cap ended the proposal")
	for _, r := range blk.TxResults {
		require.Zero(t, r.Code, r.Log)
	}
	select {
	case r := <-got:
		require.Zero(t, r.Code, r.Log)
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting submission was not admitted after the block")
	}
	n, _ = ta.MempoolSize()
	require.Equal(t, limit-cap0+1, n)
}

// The pool also holds at most ahead-blocks proposals' worth of bytes, from the
// tx bytes this node's last PrepareProposal was given: large txs fill a block's
// bytes long before its count. Beyond that a peer's tx is refused as full, the
// pool and state untouched; a proposal with more bytes raises the limit.
func TestAppMempoolAdmitsAheadBlocksOfBytes(t *testing.T) {
	cfg := testutil.Config()
	cfg.Mempool.AheadBlocks = 2
	cfg.Mempool.AdmitWait = 10 * time.Millisecond
	ta, accs := newPoolAppWith(t, cfg, 12, app.MempoolLimits{})
	send := func(i int) []byte { return testutil.Send(accs[i], accs[11].Addr, 1, testutil.TxOpts{Fee: fee(100)}) }
	first := send(0)
	size := int64(len(first))
	// An empty proposal of just under 3.5 txs' bytes: the pool admits 7 txs (the
	// limit is checked before each admission).
	maxTxBytes := size*7/2 - 1
	prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: maxTxBytes, Height: ta.Height + 1})
	require.NoError(t, err)
	require.Empty(t, prep.Txs)
	require.Zero(t, insert(t, ta, first))
	for i := 1; i < 7; i++ {
		require.Zero(t, insert(t, ta, send(i)), "tx %d", i)
	}
	n, bytes := ta.MempoolSize()
	require.Equal(t, 7, n)
	hash := ta.LastCommitID().Hash

	res := ta.CheckTx(send(7))
	require.Equal(t, runtime.ErrMempoolFull.Code(), res.Code, res.Log)
	require.Contains(t, res.Log, fmt.Sprintf("or %d bytes", 2*maxTxBytes))
	n2, bytes2 := ta.MempoolSize()
	require.Equal(t, n, n2)
	require.Equal(t, bytes, bytes2)
	require.Equal(t, hash, ta.LastCommitID().Hash)

	// A proposer given more bytes: its next proposal takes all 7, and the pool
	// admits twice those bytes again.
	blk := proposeAndCommit(t, ta, 1<<20)
	require.Len(t, blk.TxResults, 7)
	accs[7].Seq = 0
	for i := 7; i < 11; i++ {
		require.Zero(t, insert(t, ta, send(i)), "tx %d", i)
	}
}

// A peer's tx never waits, and the pool holds twice the admission limit for
// peers' txs, which the clients' limit counts: under overload the network's
// pending txs reach every proposer, and a node whose pool is full of them makes
// its own clients wait. Past twice the limit a peer's tx is refused at once, the
// pool and state untouched.
func TestAppMempoolPeerRoom(t *testing.T) {
	cfg := testutil.Config()
	cfg.Mempool.AheadBlocks = 2
	cfg.Mempool.AdmitWait = 10 * time.Millisecond
	ta, accs := newPoolAppWith(t, cfg, 11, app.MempoolLimits{})
	txs := make([][]byte, 10)
	for i := range txs {
		txs[i] = testutil.Send(accs[i], accs[10].Addr, 1, testutil.TxOpts{Fee: fee(100)})
	}
	size := int64(len(txs[0])) // every account's first send: the same size
	// Blocks of just under 2 txs' bytes: clients may fill 4 txs, peers 8.
	_, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: 2*size - 1, Height: ta.Height + 1})
	require.NoError(t, err)
	for i := range 4 {
		require.Zero(t, ta.CheckTx(txs[i]).Code, "client tx %d", i)
	}
	res := ta.CheckTx(txs[4])
	require.Equal(t, runtime.ErrMempoolFull.Code(), res.Code, "a client's tx past the limit: %s", res.Log)
	for i := 4; i < 8; i++ {
		require.Zero(t, insert(t, ta, txs[i]), "peer tx %d, past the clients' limit", i)
	}
	hash := ta.LastCommitID().Hash
	n, bytes := ta.MempoolSize()
	require.Equal(t, 8, n)
	require.Equal(t, runtime.ErrMempoolFull.Code(), insert(t, ta, txs[8]), "a peer's tx past twice the limit")
	res = ta.CheckTx(txs[9])
	require.Equal(t, runtime.ErrMempoolFull.Code(), res.Code, "the clients' limit counts the peers' txs: %s", res.Log)
	n2, bytes2 := ta.MempoolSize()
	require.Equal(t, n, n2)
	require.Equal(t, bytes, bytes2)
	require.Equal(t, hash, ta.LastCommitID().Hash)
}

// With CometBFT's flood mempool the proposer gets every tx that fits the bytes
// (~20,000 sends in 4 MiB); it still takes at most the cap it measured, and the
// block it proposes passes ProcessProposal and executes.
func TestFloodProposalTakesAtMostTheCap(t *testing.T) {
	cfg := testutil.Config()
	cfg.Mempool.BlockTime = 10 * time.Millisecond // below the floor: the cap is minBlockTxs
	const n = 1_200
	accs := make([]*testutil.Account, n)
	txs := make([][]byte, n)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	ta := testutil.NewTestApp(t, nil, cfg, testutil.GenesisAppState(accs, 1_000_000))
	for i := range accs {
		txs[i] = testutil.Send(accs[i], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(100)})
	}
	ta.NextBlock()
	require.Equal(t, 1_000, ta.ProposalTxCap())
	prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 22, Height: ta.Height + 1})
	require.NoError(t, err)
	require.Len(t, prep.Txs, 1_000, "a flood proposal takes at most the cap")
	require.Equal(t, txs[:1_000], prep.Txs, "in the mempool's order")
	proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: prep.Txs, Height: ta.Height + 1})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status)
	for _, r := range ta.NextBlock(prep.Txs...).TxResults {
		require.Zero(t, r.Code, r.Log)
	}
}
