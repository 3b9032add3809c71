package permissions_test

import (
	"testing"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/permissions"
)

// BenchmarkBlockSend compares, in block execution (FinalizeBlock + Commit on
// pebbledb, signatures already verified by CheckTx as on a node that saw the txs),
// blocks of 2,000 direct bank sends from 1,000 users with blocks of 2,000 MsgExec
// txs in which one app executes the same sends for the same users under their
// grants. The budget: exec/direct ≤ 1.3 (compare the tx/s figures).
func BenchmarkBlockSend(b *testing.B) {
	b.Run("direct", func(b *testing.B) { benchBlockSend(b, false) })
	b.Run("exec", func(b *testing.B) { benchBlockSend(b, true) })
}

func benchBlockSend(b *testing.B, viaExec bool) {
	const nUsers, perBlock = 1000, 2000
	users := make([]*testutil.Account, nUsers+1)
	for i := range users {
		users[i] = testutil.NewAccount(i)
	}
	owner := users[nUsers]
	users = users[:nUsers]
	cfg := testutil.Config()
	cfg.State.DBBackend = "pebbledb"
	db, err := store.OpenDB("pebbledb", "application", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ta := testutil.NewTestApp(b, db, cfg, testutil.GenesisAppState(append(append([]*testutil.Account(nil), users...), owner), 1_000_000_000))
	defer ta.Close()
	ta.NextBlock()
	mustOK := func(res []byte) {
		b.Helper()
		for _, r := range ta.NextBlock(res).TxResults {
			if r.Code != 0 {
				b.Fatalf("setup tx: %s", r.Log)
			}
		}
	}
	if viaExec {
		pub := owner.Key.PubKey()
		mustOK(testutil.SignTx(owner, testutil.TxOpts{}, &permissions.MsgRegisterApp{Owner: owner.Addr.String(), Id: "bench-app", Name: "Bench",
			PubKeys: []types.PubKey{{Type: pub.Type(), Key: pub.Bytes()}}, Scopes: []string{"bank:send"},
			Deposit: types.Coins{types.NewCoin(testutil.Denom, permissions.DefaultMinDeposit)}}))
		var txs [][]byte
		for _, u := range users {
			txs = append(txs, testutil.SignTx(u, testutil.TxOpts{}, &permissions.MsgGrant{User: u.Addr.String(), AppId: "bench-app",
				Scopes: []string{"bank:send"}, ExpiryHeight: 1 << 40, SpendLimit: types.Coins{types.NewCoin(testutil.Denom, 1_000_000)}}))
		}
		for _, r := range ta.NextBlock(txs...).TxResults {
			if r.Code != 0 {
				b.Fatalf("grant: %s", r.Log)
			}
		}
	}

	var elapsed time.Duration
	b.ResetTimer()
	b.StopTimer()
	for n := 0; n < b.N; n++ {
		txs := make([][]byte, perBlock)
		for i := range txs {
			from, to := users[i%nUsers], users[(i*7+1)%nUsers]
			send := &bank.MsgSend{FromAddress: from.Addr.String(), ToAddress: to.Addr.String(), Amount: types.Coins{types.NewCoin(testutil.Denom, 1)}}
			if viaExec {
				exec := &permissions.MsgExec{Grantee: owner.Addr.String(), User: from.Addr.String(), AppId: "bench-app",
					Msgs: []*gogoAny{anyOf(b, send)}}
				txs[i] = testutil.SignTx(owner, testutil.TxOpts{Fee: coins(1), OmitPubKey: true}, exec)
			} else {
				txs[i] = testutil.SignTx(from, testutil.TxOpts{Fee: coins(1), OmitPubKey: from.Seq > 0}, runtime.Msg(send))
			}
		}
		for _, bz := range txs {
			ta.CheckTx(bz)
		}
		start := time.Now()
		b.StartTimer()
		res := ta.NextBlock(txs...)
		b.StopTimer()
		elapsed += time.Since(start)
		for _, r := range res.TxResults {
			if r.Code != 0 {
				b.Fatalf("tx failed: %d %s", r.Code, r.Log)
			}
		}
	}
	b.ReportMetric(float64(perBlock*b.N)/elapsed.Seconds(), "tx/s")
}
