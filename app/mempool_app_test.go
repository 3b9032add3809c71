package app_test

import (
	"context"
	"encoding/json"
	"math/rand"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
)

// newPoolApp is an app that owns its mempool (config.toml [mempool] type = "app"),
// with genesis committed.
func newPoolApp(t testing.TB, n int, l app.MempoolLimits) (*testutil.TestApp, []*testutil.Account) {
	return newPoolAppWith(t, testutil.Config(), n, l)
}

// smallBlocksConfig is for tests that propose blocks of a few KB so that many are
// made while admissions run: the pool admits ahead-blocks proposals' worth of
// bytes, so it holds 100 of them here, and admission is not refused as full.
func smallBlocksConfig() app.Config {
	cfg := testutil.Config()
	cfg.Mempool.AheadBlocks = 100
	return cfg
}

func newPoolAppWith(t testing.TB, cfg app.Config, n int, l app.MempoolLimits) (*testutil.TestApp, []*testutil.Account) {
	accs := make([]*testutil.Account, n)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	ta := testutil.NewTestApp(t, nil, cfg, testutil.GenesisAppState(accs, 1_000_000))
	ta.EnableAppMempool(l)
	ta.NextBlock()
	return ta, accs
}

func insert(t testing.TB, ta *testutil.TestApp, bz []byte) uint32 {
	res, err := ta.InsertTx(context.Background(), &abci.RequestInsertTx{Tx: bz})
	require.NoError(t, err)
	return res.Code
}

// admitVia admits bz through CheckTx (as from RPC) or InsertTx (as from a peer).
// ok is false once it has reported CheckTx's error: the caller stops there.
func admitVia(t testing.TB, ta *testutil.TestApp, bz []byte, rpc bool) (code uint32, ok bool) {
	if !rpc {
		return insert(t, ta, bz), true
	}
	res, err := ta.App.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: bz})
	if err != nil {
		t.Error(err)
		return 0, false
	}
	return res.Code, true
}

// proposeAndCommit builds a block from the mempool as the proposer would, checks
// CometBFT's budget and ProcessProposal's verdict, then finalizes and commits it.
func proposeAndCommit(t testing.TB, ta *testutil.TestApp, maxTxBytes int64) *abci.ResponseFinalizeBlock {
	prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: maxTxBytes, Height: ta.Height + 1})
	require.NoError(t, err)
	require.NoError(t, cmttypes.ToTxs(prep.Txs).Validate(maxTxBytes))
	proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: prep.Txs, Height: ta.Height + 1})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status)
	return ta.NextBlock(prep.Txs...)
}

func TestAppMempoolAdmitsInOrderAndDrainsIntoBlocks(t *testing.T) {
	ta, accs := newPoolApp(t, 3, app.MempoolLimits{})
	for i := 0; i < 5; i++ {
		for s := 0; s < 3; s++ {
			require.Zero(t, ta.CheckTx(testutil.Send(accs[s], accs[(s+1)%3].Addr, 1, testutil.TxOpts{Fee: fee(uint64(10 * (s + 1)))})).Code)
		}
	}
	n, _ := ta.MempoolSize()
	require.Equal(t, 15, n)
	// Gossip hands each admitted tx out once.
	reap, err := ta.ReapTxs(context.Background(), &abci.RequestReapTxs{})
	require.NoError(t, err)
	require.Len(t, reap.Txs, 15)
	reap, err = ta.ReapTxs(context.Background(), &abci.RequestReapTxs{})
	require.NoError(t, err)
	require.Empty(t, reap.Txs)

	// A small budget: several blocks, every tx succeeds (sequence order kept).
	committed := 0
	for i := 0; i < 20 && committed < 15; i++ {
		res := proposeAndCommit(t, ta, 1200)
		for _, r := range res.TxResults {
			require.Zero(t, r.Code, r.Log)
		}
		committed += len(res.TxResults)
	}
	require.Equal(t, 15, committed)
	n, size := ta.MempoolSize()
	require.Zero(t, n)
	require.Zero(t, size)
}

func TestAppMempoolHighestFeeFirst(t *testing.T) {
	ta, accs := newPoolApp(t, 3, app.MempoolLimits{})
	for s, f := range []uint64{10, 30, 20} {
		require.Zero(t, insert(t, ta, testutil.Send(accs[s], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(f)})))
	}
	prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: 1 << 20, Height: ta.Height + 1})
	require.NoError(t, err)
	require.Len(t, prep.Txs, 3)
	res := ta.NextBlock(prep.Txs...)
	// Fees 30, 20, 10 in that order: the events name the payers.
	var payers []string
	for _, r := range res.TxResults {
		for _, e := range r.Events {
			if e.Type == "tx" {
				payers = append(payers, e.Attributes[0].Value)
			}
		}
	}
	require.Equal(t, []string{accs[1].Addr.String(), accs[2].Addr.String(), accs[0].Addr.String()}, payers)
}

func TestAppMempoolRefusals(t *testing.T) {
	ta, accs := newPoolApp(t, 4, app.MempoolLimits{MaxTxs: 3})
	hash := ta.LastCommitID().Hash
	a := accs[0]
	require.Zero(t, insert(t, ta, testutil.Send(a, accs[1].Addr, 1, testutil.TxOpts{Fee: fee(100)})))

	// A sequence gap: refused with the sequence code, nothing admitted.
	a.Seq++
	gap := testutil.Send(a, accs[1].Addr, 1, testutil.TxOpts{Fee: fee(100)})
	res := ta.CheckTx(gap)
	require.Equal(t, runtime.ErrInvalidSequence.Code(), res.Code, res.Log)
	require.Contains(t, res.Log, "expected 1, got 2")
	a.Seq = 1

	// The same tx again.
	a.Seq = 0
	dup := testutil.Send(a, accs[1].Addr, 1, testutil.TxOpts{Fee: fee(100)})
	require.Equal(t, runtime.ErrTxInMempool.Code(), insert(t, ta, dup))
	// A replacement paying 5% more: refused; 10% more: replaces.
	a.Seq = 0
	require.Equal(t, runtime.ErrReplacementUnderpriced.Code(), insert(t, ta, testutil.Send(a, accs[1].Addr, 1, testutil.TxOpts{Fee: fee(105)})))
	a.Seq = 0
	require.Zero(t, insert(t, ta, testutil.Send(a, accs[1].Addr, 1, testutil.TxOpts{Fee: fee(110)})))
	n, _ := ta.MempoolSize()
	require.Equal(t, 1, n)

	// Full at 3 txs: a tx ranking no higher than the lowest is refused with the
	// mempool-full code; a higher one evicts the lowest.
	require.Zero(t, insert(t, ta, testutil.Send(accs[1], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(50)})))
	require.Zero(t, insert(t, ta, testutil.Send(accs[2], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(70)})))
	low := testutil.Send(accs[3], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(50)})
	res = ta.CheckTx(low)
	require.Equal(t, runtime.ErrMempoolFull.Code(), res.Code, res.Log)
	require.GreaterOrEqual(t, res.Code, abci.CodeTypeRetry, "mempool full is retryable for CometBFT")
	accs[3].Seq = 0
	require.Zero(t, insert(t, ta, testutil.Send(accs[3], accs[0].Addr, 1, testutil.TxOpts{Fee: fee(60)})))
	n, _ = ta.MempoolSize()
	require.Equal(t, 3, n)

	// Undecodable bytes and the injected-commit marker: refused with decode codes.
	require.Equal(t, runtime.ErrTxDecode.Code(), insert(t, ta, []byte{0xde, 0xad}))
	// Refusals never touch state.
	require.Equal(t, hash, ta.LastCommitID().Hash)
}

// Pending txs of an account whose balance a block spent (a block from another
// proposer, carrying a tx this mempool never saw) are dropped after Commit, and
// the re-check only looks at the accounts that block touched.
func TestAppMempoolBlockInvalidatesPendingOfSameAccount(t *testing.T) {
	ta, accs := newPoolApp(t, 3, app.MempoolLimits{})
	a := accs[0]
	for i := 0; i < 3; i++ {
		require.Zero(t, insert(t, ta, testutil.Send(a, accs[1].Addr, 1, testutil.TxOpts{Fee: fee(1000)})))
	}
	require.Zero(t, insert(t, ta, testutil.Send(accs[2], accs[1].Addr, 1, testutil.TxOpts{Fee: fee(10)})))
	// Elsewhere, the account signed another sequence-0 tx that spends almost all of it.
	a.Seq = 0
	res := ta.NextBlock(testutil.Send(a, accs[1].Addr, 999_500, testutil.TxOpts{}))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	// Its sequence-0 tx is used, and 500 left cannot pay the 1000 fee of sequence 1.
	n, _ := ta.MempoolSize()
	require.Equal(t, 1, n, "only the untouched account's tx is left")
	blk := proposeAndCommit(t, ta, 1<<20)
	require.Len(t, blk.TxResults, 1)
	require.Zero(t, blk.TxResults[0].Code)
}

// Property (the P0 rule with the app mempool): whatever reaches the mempool (valid
// txs, garbage, truncated txs, gaps, replacements, in any order) and whatever the
// byte budget, the proposal PrepareProposal builds fits CometBFT's budget, is
// accepted by ProcessProposal, and every tx in it succeeds. The blocks then replay
// to the same app hashes on two fresh apps (one with a flood, one with an app
// mempool): the mempool is not consensus.
func TestAppMempoolProposalIsAlwaysAcceptedAndValid(t *testing.T) {
	ta, accs := newPoolApp(t, 6, app.MempoolLimits{MaxTxs: 40, MaxBytes: 12_000})
	r := rand.New(rand.NewSource(11))
	included := 0
	for round := 0; round < 60; round++ {
		for i := r.Intn(25); i > 0; i-- {
			a := accs[r.Intn(len(accs))]
			var bz []byte
			switch r.Intn(6) {
			case 0:
				bz = make([]byte, 1+r.Intn(300))
				r.Read(bz)
			case 1:
				full := testutil.Send(a, accs[0].Addr, 1, testutil.TxOpts{Fee: fee(uint64(r.Intn(50)))})
				a.Seq--
				bz = full[:r.Intn(len(full))]
			case 2: // a gap or a replacement of a pending sequence
				save := a.Seq
				a.Seq = uint64(max(0, int(save)+r.Intn(5)-3))
				bz = testutil.Send(a, accs[0].Addr, 1, testutil.TxOpts{Fee: fee(uint64(r.Intn(200)))})
				a.Seq = save
			default:
				bz = testutil.Send(a, accs[r.Intn(len(accs))].Addr, uint64(1+r.Intn(1000)), testutil.TxOpts{Fee: fee(uint64(r.Intn(50)))})
				if insert(t, ta, bz) != 0 {
					a.Seq-- // refused (full): the next one reuses the sequence
				}
				continue
			}
			insert(t, ta, bz)
		}
		budget := int64(r.Intn(6000))
		res := proposeAndCommit(t, ta, budget)
		for i, tr := range res.TxResults {
			require.Zero(t, tr.Code, "round %d tx %d: %s", round, i, tr.Log)
		}
		included += len(res.TxResults)
		// Keep the test's sequences in line with the chain (refused txs advanced them).
		for _, a := range accs {
			a.Seq = accountSeq(t, ta, a)
		}
	}
	require.Greater(t, included, 200, "the rounds did fill blocks")
	// Determinism: the same blocks on two fresh apps give the same app hashes.
	genesis := testutil.GenesisAppState(freshAccounts(6), 1_000_000)
	testutil.NewTestApp(t, nil, testutil.Config(), genesis).Replay(ta.Blocks)
	other := testutil.NewTestApp(t, nil, testutil.Config(), genesis)
	other.EnableAppMempool(app.MempoolLimits{})
	other.Replay(ta.Blocks)
}

func freshAccounts(n int) []*testutil.Account {
	accs := make([]*testutil.Account, n)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	return accs
}

// accountSeq is the next sequence the sender may use: committed plus pending.
func accountSeq(t testing.TB, ta *testutil.TestApp, a *testutil.Account) uint64 {
	ctx, err := ta.CommittedContext()
	require.NoError(t, err)
	acc, found, err := ta.AuthKeeper.GetAccount(ctx, a.Addr)
	require.NoError(t, err)
	require.True(t, found)
	return acc.Sequence + uint64(ta.PendingOf(a.Addr, acc.Sequence))
}

// One signature check per tx: a tx this node admitted is not verified again when
// its block executes; a block of txs it never saw is verified (once).
func TestAppMempoolVerifiesEachSignatureOnce(t *testing.T) {
	ta, accs := newPoolApp(t, 4, app.MempoolLimits{})
	for i := 0; i < 5; i++ {
		for s := 0; s < 2; s++ {
			require.Zero(t, insert(t, ta, testutil.Send(accs[s], accs[3].Addr, 1, testutil.TxOpts{Fee: fee(10)})))
		}
	}
	admitted := ta.SigVerifications()
	require.Equal(t, uint64(10), admitted)
	res := proposeAndCommit(t, ta, 1<<20)
	require.Len(t, res.TxResults, 10)
	require.Equal(t, admitted, ta.SigVerifications(), "txs admitted here were verified again in the block")

	var foreign [][]byte
	for i := 0; i < 4; i++ {
		foreign = append(foreign, testutil.Send(accs[2], accs[3].Addr, 1, testutil.TxOpts{}))
	}
	ta.NextBlock(foreign...)
	require.Equal(t, admitted+4, ta.SigVerifications())
}

// Many goroutines admit txs of many senders while blocks are proposed and
// committed (run with -race): every tx is committed exactly once, each succeeds.
func TestAppMempoolConcurrentAdmission(t *testing.T) {
	const senders, perSender = 16, 12
	ta, accs := newPoolAppWith(t, smallBlocksConfig(), senders+1, app.MempoolLimits{})
	signed := make([][][]byte, senders)
	for s := 0; s < senders; s++ {
		for i := 0; i < perSender; i++ {
			signed[s] = append(signed[s], testutil.Send(accs[s], accs[senders].Addr, 1, testutil.TxOpts{Fee: fee(uint64(1 + i))}))
		}
	}
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for _, bz := range signed[s] {
				// Half through RPC (CheckTx), half as from peers (InsertTx).
				code, ok := admitVia(t, ta, bz, s%2 == 0)
				if !ok {
					return
				}
				if code != 0 {
					t.Errorf("sender %d: code %d", s, code)
					return
				}
			}
		}(s)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	committed := map[string]int{}
	count := func(res *abci.ResponseFinalizeBlock, txs [][]byte) {
		for i, r := range res.TxResults {
			require.Zero(t, r.Code, r.Log)
			committed[string(txs[i])]++
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: 4000, Height: ta.Height + 1})
		require.NoError(t, err)
		count(ta.NextBlock(prep.Txs...), prep.Txs)
	}
	for i := 0; i < 100; i++ {
		if n, _ := ta.MempoolSize(); n == 0 {
			break
		}
		prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: 1 << 20, Height: ta.Height + 1})
		require.NoError(t, err)
		count(ta.NextBlock(prep.Txs...), prep.Txs)
	}
	require.Len(t, committed, senders*perSender)
	for _, c := range committed {
		require.Equal(t, 1, c)
	}
}

// /app/mempool answers the app mempool's pending count (CometBFT's
// num_unconfirmed_txs reads 0 with it); with the flood mempool it says so.
func TestAppMempoolQuery(t *testing.T) {
	query := func(ta *testutil.TestApp) app.MempoolStatus {
		t.Helper()
		res, err := ta.Query(context.Background(), &abci.RequestQuery{Path: "/app/mempool"})
		require.NoError(t, err)
		require.Zero(t, res.Code, res.Log)
		var st app.MempoolStatus
		require.NoError(t, json.Unmarshal(res.Value, &st))
		return st
	}
	ta, accs := newPoolApp(t, 2, app.MempoolLimits{})
	admitTxs, admitBytes := ta.AdmitLimit()
	require.Positive(t, admitTxs)
	require.Positive(t, admitBytes)
	empty := app.MempoolStatus{Type: "app", AdmitTxs: admitTxs, AdmitBytes: admitBytes}
	require.Equal(t, empty, query(ta))
	bz := testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{Fee: fee(10)})
	require.Zero(t, insert(t, ta, bz))
	one := empty
	one.Txs, one.Bytes = 1, int64(len(bz))
	require.Equal(t, one, query(ta))
	ta.NextBlock(bz)
	ta.MempoolSize() // the re-check has ended
	require.Equal(t, empty, query(ta))

	flood := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState(freshAccounts(1), 1))
	flood.NextBlock()
	require.Equal(t, app.MempoolStatus{Type: "flood"}, query(flood))
}
