package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
)

// staleBlock admits three txs of each sender (fee 1000 each), then returns a
// block of txs signed elsewhere, one per sender at the first of those sequences:
// for the even senders a send of 2 (their first pending tx is stale; the other
// two stay valid), for the odd ones a send of all but 500 of the balance (their
// pending txs can no longer pay). pending is what stays valid after that block.
func staleBlock(t *testing.T, ta *testutil.TestApp, senders []*testutil.Account, to *testutil.Account) (block [][]byte, pending map[string]bool) {
	t.Helper()
	pending = map[string]bool{}
	for i, s := range senders {
		base := s.Seq
		for seq := 0; seq < 3; seq++ {
			bz := testutil.Send(s, to.Addr, 1, testutil.TxOpts{Fee: fee(1000)})
			require.Zero(t, insert(t, ta, bz))
			if i%2 == 0 && seq > 0 {
				pending[string(bz)] = true
			}
		}
		s.Seq = base
		amount := uint64(2)
		if i%2 == 1 {
			amount = ta.Balance(s.Addr, testutil.Denom).Uint64() - 500 // 500 left: not one fee of 1000
		}
		block = append(block, testutil.Send(s, to.Addr, amount, testutil.TxOpts{}))
		s.Seq = base + 3
	}
	return block, pending
}

// Commit returns while the re-check of the accounts its block touched is held up,
// and a proposal built right after it waits for the re-check: it never includes a
// tx whose sequence the block used or whose fee the block left unpayable.
func TestAppMempoolProposalWaitsForRecheck(t *testing.T) {
	ta, accs := newPoolApp(t, 4, app.MempoolLimits{})
	block, pending := staleBlock(t, ta, accs[:2], accs[3])
	require.Zero(t, insert(t, ta, testutil.Send(accs[2], accs[3].Addr, 1, testutil.TxOpts{Fee: fee(10)})))

	lock := ta.SenderLockForTest(accs[1].Addr) // the drained account's re-check waits for it
	lock.Lock()
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		res := ta.NextBlock(block...)
		for _, r := range res.TxResults {
			if r.Code != 0 {
				t.Errorf("block tx: code %d %s", r.Code, r.Log)
			}
		}
	}()
	select {
	case <-committed:
	case <-time.After(10 * time.Second):
		lock.Unlock()
		t.Fatal("Commit waited for the re-check")
	}

	proposed := make(chan [][]byte, 1)
	go func() {
		prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: 1 << 20, Height: ta.Height + 1})
		if err != nil {
			t.Error(err)
		}
		proposed <- prep.GetTxs()
	}()
	select {
	case <-proposed:
		lock.Unlock()
		t.Fatal("a proposal was built before the re-check ended")
	case <-time.After(200 * time.Millisecond):
	}
	lock.Unlock()
	var txs [][]byte
	select {
	case txs = <-proposed:
	case <-time.After(10 * time.Second):
		t.Fatal("the proposal still waits after the re-check could end")
	}
	// accs[0]'s sequences 1 and 2 and accs[2]'s tx; nothing of accs[1].
	require.Len(t, txs, 3)
	for _, bz := range txs[:2] {
		require.True(t, pending[string(bz)], "proposed a tx the re-check drops")
	}
	res := ta.NextBlock(txs...)
	for _, r := range res.TxResults {
		require.Zero(t, r.Code, r.Log)
	}
	n, _ := ta.MempoolSize()
	require.Zero(t, n)
}

// The same without holding anything up, over many senders: the proposal is built
// the moment Commit returns, while the re-check runs, and every tx in it succeeds.
func TestAppMempoolProposalRightAfterCommitIsValid(t *testing.T) {
	const senders = 64
	ta, accs := newPoolApp(t, senders+1, app.MempoolLimits{})
	for round := 0; round < 5; round++ {
		for _, a := range accs[:senders] {
			a.Seq = accountSeq(t, ta, a)
		}
		block, pending := staleBlock(t, ta, accs[:senders], accs[senders])
		for i, r := range ta.NextBlock(block...).TxResults {
			require.Zero(t, r.Code, "round %d block tx %d: %s", round, i, r.Log)
		}
		prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: 1 << 22, Height: ta.Height + 1})
		require.NoError(t, err)
		require.Len(t, prep.Txs, len(pending), "round %d", round)
		for _, bz := range prep.Txs {
			require.True(t, pending[string(bz)], "round %d: proposed a tx the re-check drops", round)
		}
		res := ta.NextBlock(prep.Txs...)
		for i, r := range res.TxResults {
			require.Zero(t, r.Code, "round %d tx %d: %s", round, i, r.Log)
		}
		// Refill the drained accounts for the next round.
		var refill [][]byte
		for i, a := range accs[:senders] {
			if i%2 == 1 {
				refill = append(refill, testutil.Send(accs[senders], a.Addr, 999_000, testutil.TxOpts{}))
			}
		}
		res = ta.NextBlock(refill...)
		for _, r := range res.TxResults {
			require.Zero(t, r.Code, r.Log)
		}
	}
}

// Admissions of the senders a block touched run while its re-check does (run
// with -race): each is judged against the new committed state whether or not its
// sender has been re-checked yet, and every tx admitted commits once, with code 0.
func TestAppMempoolAdmissionDuringRecheck(t *testing.T) {
	const senders = 32
	ta, accs := newPoolAppWith(t, smallBlocksConfig(), senders+1, app.MempoolLimits{})
	block, pending := staleBlock(t, ta, accs[:senders], accs[senders])
	// The next three sequences of each sender, signed now, admitted during the re-check.
	next := make([][][]byte, senders)
	for i, a := range accs[:senders] {
		for seq := 0; seq < 3; seq++ {
			next[i] = append(next[i], testutil.Send(a, accs[senders].Addr, 1, testutil.TxOpts{Fee: fee(1000)}))
		}
	}

	ta.NextBlock(block...)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range next {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for _, bz := range next[i] {
				code, ok := admitVia(t, ta, bz, i%4 < 2)
				if !ok {
					return
				}
				switch {
				case i%2 == 0 && code != 0:
					t.Errorf("sender %d: code %d", i, code)
				case i%2 == 1 && code == 0:
					t.Errorf("sender %d: admitted a tx its balance cannot pay", i)
				case code == 0:
					mu.Lock()
					pending[string(bz)] = true
					mu.Unlock()
				}
			}
		}(i)
	}
	// Blocks are proposed and committed meanwhile, each right after the last Commit.
	committed := map[string]int{}
	propose := func() int {
		prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: 3000, Height: ta.Height + 1})
		require.NoError(t, err)
		res := ta.NextBlock(prep.Txs...)
		for i, r := range res.TxResults {
			require.Zero(t, r.Code, r.Log)
			committed[string(prep.Txs[i])]++
		}
		return len(prep.Txs)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		propose()
	}
	for i := 0; i < 100; i++ {
		if propose() == 0 {
			break
		}
	}
	require.Len(t, committed, len(pending))
	for bz, c := range committed {
		require.True(t, pending[bz], "committed a tx that was not pending")
		require.Equal(t, 1, c)
	}
	n, _ := ta.MempoolSize()
	require.Zero(t, n)
}

// ReapTxs goes on during the re-check and may hand out a tx the block just
// committed: a peer that committed the block too refuses it by sequence, its
// state untouched.
func TestAppMempoolStaleGossipRefusedBySequence(t *testing.T) {
	ta, accs := newPoolApp(t, 2, app.MempoolLimits{})
	peer := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState(freshAccounts(2), 1_000_000))
	peer.EnableAppMempool(app.MempoolLimits{})
	peer.NextBlock()
	bz := testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{Fee: fee(10)})
	require.Zero(t, insert(t, ta, bz))

	lock := ta.SenderLockForTest(accs[0].Addr)
	lock.Lock()
	ta.NextBlock(bz)
	peer.NextBlock(bz)
	require.Equal(t, ta.LastCommitID(), peer.LastCommitID())
	reap, err := ta.ReapTxs(context.Background(), &abci.RequestReapTxs{})
	require.NoError(t, err)
	require.Equal(t, [][]byte{bz}, reap.Txs, "the committed tx is still handed out for gossip")
	lock.Unlock()

	hash := peer.LastCommitID().Hash
	require.Equal(t, runtime.ErrInvalidSequence.Code(), insert(t, peer, bz))
	require.Equal(t, hash, peer.LastCommitID().Hash)
	n, _ := peer.MempoolSize()
	require.Zero(t, n)
}
