package app_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/poai/voteext"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

// BenchmarkPoAIExtendVote5000Txs calls the app's ExtendVote right after it
// committed a 5,000-tx block (1,000 senders), with the built-in analyzer: the
// worst case, where the whole analysis of the block is on ExtendVote's critical
// path (on a node it runs during the next height's propose and prevote steps).
// Building, executing and committing the block is outside the timer.
func BenchmarkPoAIExtendVote5000Txs(b *testing.B) {
	const nAccs, perBlock = 1000, 5000
	accs := make([]*testutil.Account, nAccs)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	set := voteexttest.NewSet(1, []int64{1})
	// The real x/poai keeper, set's validator in the poai genesis, extensions from height 1.
	ta := newPoAIApp(b, nil, testutil.Config(), poaiGenesis(accs, set, nil), 1)
	defer ta.Close()
	ta.NextBlock()
	b.ResetTimer()
	b.StopTimer()
	for n := 0; n < b.N; n++ {
		txs := make([][]byte, perBlock)
		for i := range txs {
			from, to := accs[i%nAccs], accs[(i*7+1+n)%nAccs]
			txs[i] = testutil.Send(from, to.Addr, uint64(1+i%97), testutil.TxOpts{OmitPubKey: from.Seq > 0})
		}
		ta.Height++
		ta.Time = ta.Time.Add(1e9)
		if _, err := ta.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: ta.Height, Time: ta.Time, Txs: txs, Hash: blockHash(ta.Height)}); err != nil {
			b.Fatal(err)
		}
		if _, err := ta.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := ta.ExtendVote(context.Background(), &abci.RequestExtendVote{Height: ta.Height + 1})
		b.StopTimer()
		if err != nil || len(res.VoteExtension) == 0 {
			b.Fatalf("no extension: %v", err)
		}
		if ve, err := voteext.DecodeExtension(res.VoteExtension); err != nil || len(ve.Blocks) == 0 || len(ve.Blocks[0].Risks) != voteext.MaxScores {
			b.Fatalf("extension: %v", err)
		}
	}
}
