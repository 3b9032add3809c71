package app_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/testutil"
)

// FuzzCheckTx feeds arbitrary bytes, seeded with valid and near-valid txs, through
// decoding and the ante pipeline (CheckTx) and through a block (FinalizeBlock):
// nothing may panic, and a rejected tx must leave the committed state unchanged.
func FuzzCheckTx(f *testing.F) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	genesis := testutil.GenesisAppState(accs, 1_000_000)
	for i := 0; i < 4; i++ {
		f.Add(testutil.Send(accs[0], accs[1].Addr, uint64(i+1), testutil.TxOpts{Fee: fee(uint64(i)), Memo: "seed"}))
	}
	accs[0].Seq = 0
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00})

	// A twin app runs the same blocks, except that a tx rejected before execution is
	// left out of its block: both must then reach the same app hash. (Comparing with
	// the previous hash is not enough: epoch ends and other periodic EndBlock work
	// legitimately change state in blocks without txs.)
	ta := testutil.NewTestApp(f, nil, testutil.Config(), genesis)
	twin := testutil.NewTestApp(f, nil, testutil.Config(), genesis)
	ta.NextBlock()
	twin.NextBlock()
	f.Fuzz(func(t *testing.T, bz []byte) {
		ta.TB, twin.TB = t, t
		ta.CheckTx(bz)
		res := ta.NextBlock(bz)
		if res.TxResults[0].Code != 0 && res.TxResults[0].GasUsed == 0 {
			twin.NextBlock()
			if string(twin.LastCommitID().Hash) != string(ta.LastCommitID().Hash) {
				t.Fatalf("a tx rejected before execution changed state (code %d: %s)", res.TxResults[0].Code, res.TxResults[0].Log)
			}
		} else {
			twin.NextBlock(bz)
		}
	})
}

// FuzzInsertTx feeds arbitrary bytes to the app mempool's admission (InsertTx, as
// from a peer, then CheckTx, as from RPC): nothing may panic, a refusal carries a
// registered code and a message and leaves the mempool as it was, and committed
// state never changes.
func FuzzInsertTx(f *testing.F) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	for i := 0; i < 4; i++ {
		f.Add(testutil.Send(accs[0], accs[1].Addr, uint64(i+1), testutil.TxOpts{Fee: fee(uint64(i))}))
	}
	accs[0].Seq = 0
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00})
	ta := testutil.NewTestApp(f, nil, testutil.Config(), testutil.GenesisAppState(accs, 1_000_000))
	ta.EnableAppMempool(app.MempoolLimits{MaxTxs: 100, MaxBytes: 1 << 20})
	ta.NextBlock()
	hash := ta.LastCommitID().Hash
	f.Fuzz(func(t *testing.T, bz []byte) {
		before, _ := ta.MempoolSize()
		res, err := ta.InsertTx(context.Background(), &abci.RequestInsertTx{Tx: bz})
		if err != nil {
			t.Fatalf("InsertTx returned an error (CometBFT would log it as a failure): %v", err)
		}
		mid, _ := ta.MempoolSize()
		chk, err := ta.App.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: bz})
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != 0 {
			if mid != before {
				t.Fatalf("refused tx (code %d) changed the mempool: %d -> %d", res.Code, before, mid)
			}
			if chk.Code == 0 || chk.Log == "" || chk.Codespace == "" {
				t.Fatalf("refusal without a registered code and message: %+v", chk)
			}
		} else if mid != before+1 {
			t.Fatalf("admitted tx: mempool %d -> %d", before, mid)
		}
		if string(ta.LastCommitID().Hash) != string(hash) {
			t.Fatal("admission changed committed state")
		}
	})
}
