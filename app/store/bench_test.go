package store

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkBranchWrite: each op is one tx of 4 writes (2 stores) through a nested branch; every
// 1000 txs the block branch is written to the IAVL trees and committed on pebbledb.
func BenchmarkBranchWrite(b *testing.B) {
	ms, _, _ := openTest(b, "pebbledb", Options{})
	const txsPerBlock = 1000
	key := func(i uint64) []byte { // spread keys like account addresses
		return binary.BigEndian.AppendUint64([]byte("balance/"), i*0x9E3779B97F4A7C15)
	}
	val := make([]byte, 40)
	blk := ms.Working()
	var writeTime, commitTime time.Duration
	blocks := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx := blk.Branch()
		bank, acc := tx.Store("bank"), tx.Store("acc")
		n := uint64(i % 10000) // 10k hot accounts per store
		if _, err := bank.Get(key(n)); err != nil {
			b.Fatal(err)
		}
		require.NoError(b, bank.Set(key(n), val))
		require.NoError(b, bank.Set(key(n+1), val))
		require.NoError(b, acc.Set(key(n), val))
		require.NoError(b, acc.Set(key(n+7), val))
		require.NoError(b, tx.Write())
		if (i+1)%txsPerBlock == 0 {
			t0 := time.Now()
			require.NoError(b, blk.Write())
			t1 := time.Now()
			if _, err := ms.Commit(); err != nil {
				b.Fatal(err)
			}
			writeTime += t1.Sub(t0)
			commitTime += time.Since(t1)
			blocks++
		}
	}
	if blocks > 0 {
		b.ReportMetric(float64(writeTime.Milliseconds())/float64(blocks), "ms-write/block")
		b.ReportMetric(float64(commitTime.Milliseconds())/float64(blocks), "ms-commit/block")
	}
}

// BenchmarkTxBranch isolates the branch layer: a tx branch with 4 writes written into a block
// branch, no IAVL.
func BenchmarkTxBranch(b *testing.B) {
	ms, _, _ := openTest(b, "memdb", Options{})
	blk := ms.Working()
	val := make([]byte, 40)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx := blk.Branch()
		s := tx.Store("bank")
		k := binary.BigEndian.AppendUint64([]byte("balance/"), uint64(i%20000)*0x9E3779B97F4A7C15)
		for j := byte(0); j < 4; j++ {
			k[len(k)-1] = j
			if err := s.Set(k, val); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Write(); err != nil {
			b.Fatal(err)
		}
		if (i+1)%10000 == 0 {
			blk = ms.Working() // drop the block, keep the buffer size realistic
		}
	}
}
