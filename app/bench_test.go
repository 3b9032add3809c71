package app_test

import (
	"testing"
	"time"

	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

// BenchmarkFinalizeBlock executes blocks of 5,000 signed bank sends from 1,000
// accounts (FinalizeBlock + Commit) on pebbledb and reports tx/s, for Ed25519 and
// hybrid (Ed25519 ‖ ML-DSA-65) keys. "cold" verifies every signature in the block
// (a validator that never saw the txs); "warm" is a node whose CheckTx already
// verified them. "poai" runs with vote extensions on, as every selfchaind chain
// does, so x/poai also records each block's txs for the scores to come.
//
//	go test ./app -run '^$' -bench 'FinalizeBlock/10000sends' -benchmem -benchtime 3x
func BenchmarkFinalizeBlock(b *testing.B) {
	for _, kt := range []string{crypto.KeyTypeEd25519, crypto.KeyTypeHybrid} {
		for _, warm := range []bool{false, true} {
			name := kt + "/cold"
			if warm {
				name = kt + "/warm"
			}
			b.Run(name, func(b *testing.B) { benchFinalize(b, kt, warm, false, 5000) })
		}
	}
	b.Run(crypto.KeyTypeEd25519+"/warm/poai", func(b *testing.B) { benchFinalize(b, crypto.KeyTypeEd25519, true, true, 5000) })
	// The block a saturated node builds with the app mempool: ~10,000 sends,
	// signatures verified by CheckTx, vote extensions on. Read its allocs/op and
	// B/op (load-independent) as well as its tx/s.
	for _, kt := range []string{crypto.KeyTypeEd25519, crypto.KeyTypeHybrid} {
		b.Run("10000sends/"+kt, func(b *testing.B) { benchFinalize(b, kt, true, true, 10_000) })
	}
}

func benchFinalize(b *testing.B, keyType string, warm, poaiOn bool, perBlock int) {
	const nAccs = 1000
	accs := make([]*testutil.Account, nAccs)
	for i := range accs {
		accs[i] = testutil.NewAccountOfType(i, keyType)
	}
	cfg := testutil.Config()
	cfg.State.DBBackend = "pebbledb"
	db := openBenchDB(b)
	var ta *testutil.TestApp
	if poaiOn {
		set := voteexttest.NewSet(1, []int64{1})
		ta = newPoAIApp(b, db, cfg, poaiGenesis(accs, set, nil), 1)
	} else {
		ta = testutil.NewTestApp(b, db, cfg, testutil.GenesisAppState(accs, 1_000_000_000))
	}
	defer ta.Close()
	ta.NextBlock()

	var elapsed time.Duration
	b.ResetTimer()
	b.StopTimer()
	for n := 0; n < b.N; n++ {
		txs := make([][]byte, perBlock)
		for i := range txs {
			from, to := accs[i%nAccs], accs[(i*7+1)%nAccs]
			txs[i] = testutil.Send(from, to.Addr, 1, testutil.TxOpts{Fee: fee(1), OmitPubKey: from.Seq > 0})
		}
		if warm {
			for _, bz := range txs {
				ta.CheckTx(bz)
			}
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

func openBenchDB(b *testing.B) dbm.DB {
	db, err := store.OpenDB("pebbledb", "application", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return db
}
