package app_test

import (
	"context"
	"math/rand"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
)

// Property: whatever the mempool hands PrepareProposal (valid txs, garbage,
// truncated txs, in any order, under any byte budget), ProcessProposal accepts the
// proposal it builds, and the proposal respects the budget.
func TestPrepareProposalIsAlwaysAccepted(t *testing.T) {
	ta, accs := newApp(t, 4)
	r := rand.New(rand.NewSource(7))
	for round := 0; round < 200; round++ {
		var txs [][]byte
		for i := r.Intn(30); i > 0; i-- {
			switch r.Intn(4) {
			case 0:
				junk := make([]byte, r.Intn(300))
				r.Read(junk)
				txs = append(txs, junk)
			case 1:
				bz := testutil.Send(accs[r.Intn(4)], accs[r.Intn(4)].Addr, 1, testutil.TxOpts{})
				txs = append(txs, bz[:r.Intn(len(bz))])
			default:
				txs = append(txs, testutil.Send(accs[r.Intn(4)], accs[r.Intn(4)].Addr, 1, testutil.TxOpts{}))
			}
		}
		budget := int64(r.Intn(4000))
		prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: budget, Height: ta.Height + 1})
		require.NoError(t, err)
		var size int64
		for _, tx := range prep.Txs {
			size += int64(len(tx))
		}
		require.LessOrEqual(t, size, budget)
		proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: prep.Txs, Height: ta.Height + 1})
		require.NoError(t, err)
		require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status, "round %d", round)
	}

	// And ProcessProposal does reject a proposal carrying a tx that cannot decode.
	proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: [][]byte{{0xde, 0xad}}, Height: ta.Height + 1})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_REJECT, proc.Status)
}
