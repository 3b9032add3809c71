package app_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
)

// CometBFT's flood mempool can list a sender's sequence j+1 ahead of j (its
// CheckTx runs concurrently for RPC and every peer). The flood proposal puts
// each sender's txs back in sequence order within the sender's own slots, other
// senders' txs keep their places, and every tx of the block executes.
func TestFloodProposalOrdersEachSendersSequences(t *testing.T) {
	a, b := testutil.NewAccount(0), testutil.NewAccount(1)
	ta := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState([]*testutil.Account{a, b}, 1_000_000))
	send := func(acc *testutil.Account) []byte {
		return testutil.Send(acc, a.Addr, 1, testutil.TxOpts{Fee: fee(100)})
	}
	a0, a1, a2 := send(a), send(a), send(a)
	b0, b1 := send(b), send(b)
	ta.NextBlock()
	propose := func(txs ...[]byte) [][]byte {
		res, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 22, Height: ta.Height + 1})
		require.NoError(t, err)
		return res.Txs
	}

	require.Equal(t, [][]byte{a0, b0, a1, b1, a2}, propose(a0, b0, a1, b1, a2), "in-order input is kept")
	got := propose(a2, b0, a0, b1, a1, []byte("not a tx"))
	require.Equal(t, [][]byte{a0, b0, a1, b1, a2}, got, "a's txs in sequence order in a's slots; the undecodable one dropped")

	proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: got, Height: ta.Height + 1})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status)
	for i, r := range ta.NextBlock(got...).TxResults {
		require.Zero(t, r.Code, "tx %d: %s", i, r.Log)
	}
}

// The flood proposal of a full mempool: 1,000 txs (the cap) from 250 senders, in
// order, so the cost is the decode (cached) and the order check.
func BenchmarkFloodPrepareProposal(b *testing.B) {
	const senders, per = 250, 4
	accs := make([]*testutil.Account, senders)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	ta := testutil.NewTestApp(b, nil, testutil.Config(), testutil.GenesisAppState(accs, 1_000_000))
	var txs [][]byte
	for j := 0; j < per; j++ {
		for _, acc := range accs {
			txs = append(txs, testutil.Send(acc, accs[0].Addr, 1, testutil.TxOpts{Fee: fee(100), OmitPubKey: j > 0}))
		}
	}
	ta.NextBlock()
	req := &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 22, Height: ta.Height + 1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := ta.PrepareProposal(context.Background(), req)
		if err != nil || len(res.Txs) != len(txs) {
			b.Fatalf("%v: %d txs", err, len(res.Txs))
		}
	}
}
