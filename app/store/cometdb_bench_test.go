package store_test

import (
	"crypto/rand"
	"fmt"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/state/txindex"
	"github.com/cometbft/cometbft/state/txindex/kv"
	cmtstore "github.com/cometbft/cometbft/store"
	"github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/store"
)

// BenchmarkCometStores is the store work CometBFT does per committed block at
// saturation, on each db_backend: save a block of 1,000 transfer-sized txs (274
// bytes, as scripts/loadgen's) with its seen commit, save its FinalizeBlock
// response, index its txs with their events (tx_index "kv"), and read the
// previous block back as RPC and the consensus reactor do. "cpu-ms/op" is the
// process's user+system CPU per block, which a loaded machine distorts less than
// wall time.
//
//	go test ./app/store/ -run '^$' -bench BenchmarkCometStores -benchtime 200x -count 3
func BenchmarkCometStores(b *testing.B) {
	const txsPerBlock = 1000
	txs := make([]types.Tx, txsPerBlock)
	for i := range txs {
		txs[i] = make([]byte, 274)
		_, _ = rand.Read(txs[i])
	}
	for _, backend := range []string{"goleveldb", "pebbledb"} {
		b.Run(backend, func(b *testing.B) {
			dir := b.TempDir()
			bdb, err := store.OpenCometDB(backend, "blockstore", dir)
			if err != nil {
				b.Fatal(err)
			}
			defer bdb.Close()
			sdb, err := store.OpenCometDB(backend, "state", dir)
			if err != nil {
				b.Fatal(err)
			}
			defer sdb.Close()
			idb, err := store.OpenCometDB(backend, "tx_index", dir)
			if err != nil {
				b.Fatal(err)
			}
			defer idb.Close()
			bs := cmtstore.NewBlockStore(bdb)
			ss := sm.NewStore(sdb, sm.StoreOptions{})
			idx := kv.NewTxIndex(idb)

			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h := int64(i + 1)
				blk := types.MakeBlock(h, txs, &types.Commit{}, nil)
				blk.ProposerAddress = make([]byte, 20)
				parts, err := blk.MakePartSet(types.BlockPartSizeBytes)
				if err != nil {
					b.Fatal(err)
				}
				bs.SaveBlock(blk, parts, &types.Commit{Height: h, BlockID: types.BlockID{Hash: blk.Hash(), PartSetHeader: parts.Header()}})

				resp := &abci.ResponseFinalizeBlock{TxResults: make([]*abci.ExecTxResult, txsPerBlock), AppHash: blk.Hash()}
				batch := txindex.NewBatch(txsPerBlock)
				for j, tx := range txs {
					r := abci.ExecTxResult{Code: 0, GasUsed: 46717, Events: transferEvents(h, j)}
					resp.TxResults[j] = &r
					if err := batch.Add(&abci.TxResult{Height: h, Index: uint32(j), Tx: tx, Result: r}); err != nil {
						b.Fatal(err)
					}
				}
				if err := ss.SaveFinalizeBlockResponse(h, resp); err != nil {
					b.Fatal(err)
				}
				if err := idx.AddBatch(batch); err != nil {
					b.Fatal(err)
				}
				if h > 1 && bs.LoadBlock(h-1) == nil {
					b.Fatalf("block %d not read back", h-1)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// transferEvents are a bank transfer's indexed events, with distinct values per tx
// (as distinct senders and recipients give).
func transferEvents(h int64, j int) []abci.Event {
	attr := func(k, v string) abci.EventAttribute { return abci.EventAttribute{Key: k, Value: v, Index: true} }
	addr := func(p string) string { return fmt.Sprintf("self1%s%08d%08d", p, h, j) }
	return []abci.Event{
		{Type: "tx", Attributes: []abci.EventAttribute{attr("fee", "47uself"), attr("fee_payer", addr("p"))}},
		{Type: "tx", Attributes: []abci.EventAttribute{attr("acc_seq", addr("p")+"/7")}},
		{Type: "message", Attributes: []abci.EventAttribute{attr("action", "/selfchain.bank.v1.MsgSend"), attr("sender", addr("p")), attr("module", "bank")}},
		{Type: "transfer", Attributes: []abci.EventAttribute{attr("recipient", addr("r")), attr("sender", addr("p")), attr("amount", "1uself")}},
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
