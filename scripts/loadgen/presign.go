package main

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	appruntime "github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

// txSet is every transfer of the run, in submission order, with what is learnt
// about each one. submitAt is written by the submit workers and read by the block
// watcher, hence atomic; the other per-tx fields have a single writer each.
type txSet struct {
	txs      [][]byte
	accounts int // tx k is account k%accounts's
	index    map[[32]byte]int32
	bytes    int64

	submitAt []atomic.Int64 // unix nanos when its broadcast began; 0 = never sent
	rtt      []int64        // submission call round trip, ns (its worker)
	commitAt []int64        // unix nanos when the block holding it was seen (watcher)
	execCode []uint32       // its result code in that block (watcher)
	height   []int64        // the block (watcher)
}

// presign signs total transfers: tx k is account k%N's (k/N)-th, at its sequence
// plus k/N, to another account (the recipient rotates); an account's first tx
// carries its public key unless the chain has it already, and gets the gas limit
// (and the fee) of a first tx.
func presign(cfg *config, accts []*account, total int, gas gasChoice, price tx.GasPrice) (*txSet, error) {
	n := len(accts)
	set := &txSet{
		accounts: n,
		txs:      make([][]byte, total),
		index:    make(map[[32]byte]int32, total),
		submitAt: make([]atomic.Int64, total),
		rtt:      make([]int64, total),
		commitAt: make([]int64, total),
		execCode: make([]uint32, total),
		height:   make([]int64, total),
	}
	amount := types.Coins{types.NewCoin(cfg.denom, cfg.amount)}

	procs := runtime.GOMAXPROCS(0)
	hashes := make([][32]byte, total)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		size     atomic.Int64
	)
	for g := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local int64
			for a := g; a < n; a += procs {
				acc := accts[a]
				for j := 0; j*n+a < total; j++ {
					k := j*n + a
					to := accts[(a+1+j%(n-1))%n].addr
					withPub := j == 0 && !acc.hasPubKey
					limit := gas.limit(withPub)
					b := tx.Builder{
						Msgs:          []appruntime.Msg{&bank.MsgSend{FromAddress: acc.addr, ToAddress: to, Amount: amount}},
						Fee:           feeFor(price, limit),
						GasLimit:      limit,
						IncludePubKey: withPub,
					}
					bz, err := b.Sign(cfg.chainID, acc.number, acc.sequence+uint64(j), acc.signer)
					if err != nil {
						errOnce.Do(func() { firstErr = fmt.Errorf("sign tx %d: %w", k, err) })
						return
					}
					set.txs[k] = bz
					hashes[k] = sha256.Sum256(bz)
					local += int64(len(bz))
				}
			}
			size.Add(local)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for k, h := range hashes {
		set.index[h] = int32(k)
	}
	set.bytes = size.Load()
	return set, nil
}
