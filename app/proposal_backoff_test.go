package app_test

import (
	"context"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
)

// A proposer that already saw a proposal at its height (a round failed there)
// takes at most half of that proposal's txs, again after each failed round; the
// limit outlives the height and relaxes by a quarter for each height decided in
// its first round. The smaller proposals are accepted and execute.
func TestProposalBacksOffAfterAFailedRound(t *testing.T) {
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
	h := ta.Height + 1
	round := func(want int) [][]byte {
		t.Helper()
		prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 22, Height: h})
		require.NoError(t, err)
		require.Len(t, prep.Txs, want)
		proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: prep.Txs, Height: h})
		require.NoError(t, err)
		require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status)
		return prep.Txs
	}
	round(1_000) // round 0: the cap
	round(500)   // it failed: half
	last := round(250)
	for _, r := range ta.NextBlock(last...).TxResults { // decided in round 2 (NextBlock says round 0)
		require.Zero(t, r.Code, r.Log)
	}
	// The next height: no failed round there; the limit relaxed by a quarter.
	h = ta.Height + 1
	prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs[250:], MaxTxBytes: 1 << 22, Height: h})
	require.NoError(t, err)
	require.Len(t, prep.Txs, 312)
}
