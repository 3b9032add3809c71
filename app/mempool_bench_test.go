package app_test

import (
	"context"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/testutil"
)

// BenchmarkAdmission admits pre-signed ed25519 sends from 512 accounts, from
// 4×GOMAXPROCS goroutines at once (not RunParallel, which hands goroutines uneven shares): "flood" is CheckTx as CometBFT's flood mempool
// drives it (one at a time, the app's checkMu), "app" is the app mempool's
// InsertTx (concurrent; per-sender locks). Each goroutine sends its own
// accounts' txs in sequence order. ns/op is per admitted tx.
//
//	go test ./app/ -run '^$' -bench Admission -benchtime 20000x
func BenchmarkAdmission(b *testing.B) {
	for _, mode := range []string{"flood", "app"} {
		b.Run(mode, func(b *testing.B) {
			const accounts = 512
			accs := make([]*testutil.Account, accounts+1)
			for i := range accs {
				accs[i] = testutil.NewAccount(i)
			}
			cfg := testutil.Config()
			cfg.Mempool.AheadBlocks = 100 // no backpressure: every tx is admitted, no block is made
			ta := testutil.NewTestApp(b, nil, cfg, testutil.GenesisAppState(accs, 1_000_000_000))
			if mode == "app" {
				ta.EnableAppMempool(app.MempoolLimits{})
			}
			ta.NextBlock()
			g := 4 * goruntime.GOMAXPROCS(0)
			per := (b.N + g - 1) / g // g goroutines share b.N txs (a few more at most)
			lists := make([][][]byte, g)
			for w := 0; w < g; w++ {
				for r := 0; len(lists[w]) < per; r++ {
					for a := w; a < accounts && len(lists[w]) < per; a += g {
						lists[w] = append(lists[w], testutil.Send(accs[a], accs[accounts].Addr, 1, testutil.TxOpts{Fee: fee(10), OmitPubKey: accs[a].Seq > 0}))
					}
				}
			}
			var refused atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := 0; w < g; w++ {
				wg.Add(1)
				go func(list [][]byte) {
					defer wg.Done()
					for _, bz := range list {
						var code uint32
						if mode == "app" {
							res, _ := ta.InsertTx(context.Background(), &abci.RequestInsertTx{Tx: bz})
							code = res.Code
						} else {
							res, _ := ta.App.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: bz})
							code = res.Code
						}
						if code != 0 {
							refused.Add(1)
						}
					}
				}(lists[w])
			}
			wg.Wait()
			b.StopTimer()
			if n := refused.Load(); n > 0 {
				b.Fatalf("%d of %d txs refused", n, b.N)
			}
		})
	}
}
