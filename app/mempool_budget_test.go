package app

import (
	goruntime "runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/mempool"
)

// The proposal cap follows the measured per-tx cost of executing and committing a
// block: a block over the target shrinks it, a block under it grows it, never
// below minBlockTxs; small blocks are not measured; the pool admits ahead-blocks
// times the cap.
func TestBudgetFollowsMeasuredCost(t *testing.T) {
	b := newBudget(MempoolConfig{BlockTime: 500 * time.Millisecond, AheadBlocks: 2, AdmitWait: time.Second})
	p := mempool.New(mempool.Limits{})
	require.EqualValues(t, 10_000, b.blockTxs.Load(), "500 ms at the initial 50 µs a tx")

	// A 10,000-tx block whose txs took 3 s (300 µs a tx): the smoothed cost is 175 µs.
	b.blockStarted(10_000)
	b.measured(2 * time.Second)
	b.measured(time.Second)
	n := b.blockDone(p)
	require.InDelta(t, 500*time.Millisecond/(175*time.Microsecond), n, 30)
	txs, bytes := p.AdmitLimit()
	require.EqualValues(t, 2*n, txs)
	require.EqualValues(t, 2*DefaultBlockMaxBytes, bytes, "the default block's bytes until this node proposes")
	require.True(t, b.setBlockBytes(1<<20))
	require.False(t, b.setBlockBytes(1<<20), "unchanged")
	require.False(t, b.setBlockBytes(0), "no value")
	b.admitLimit(p)
	_, bytes = p.AdmitLimit()
	require.EqualValues(t, 2<<20, bytes, "ahead-blocks × the proposal's tx bytes")
	require.False(t, b.active)
	b.measured(time.Hour) // outside a block: ignored

	// Blocks of n txs that take 250 ms: the cap grows towards twice that.
	for range 10 {
		b.blockStarted(int(n))
		b.measured(250 * time.Millisecond)
		n = b.blockDone(p)
	}
	require.Greater(t, n, int64(4_000))

	// A block too small to measure leaves the cap.
	b.blockStarted(minMeasuredTxs - 1)
	b.measured(time.Minute)
	require.Equal(t, n, b.blockDone(p))

	// However slow, at least minBlockTxs.
	for range 20 {
		b.blockStarted(1_000)
		b.measured(time.Minute)
		n = b.blockDone(p)
	}
	require.EqualValues(t, minBlockTxs, n)

	// Commit without FinalizeBlock (not measured) changes nothing.
	require.Equal(t, n, b.blockDone(p))

	// Zero config values (an App built without DefaultConfig) get the defaults.
	z := newBudget(MempoolConfig{})
	require.Equal(t, DefaultConfig().Mempool.BlockTime, z.target)
	require.Equal(t, DefaultConfig().Mempool.AheadBlocks, z.ahead)
}

// Admissions leave a core to consensus from the moment this node builds or checks
// a proposal (its parts, votes and execution run on one goroutine) until the
// block's re-check has ended; a proposal that is never executed (another round)
// keeps the core until the next block settles.
func TestBudgetLeavesConsensusACoreFromTheProposal(t *testing.T) {
	n := goruntime.GOMAXPROCS(0)
	b := newBudget(DefaultConfig().Mempool)
	require.Equal(t, n, b.slots.Limit(), "idle: every core admits")
	b.proposalStarted()
	require.Equal(t, max(n-1, 1), b.slots.Limit(), "building or checking a proposal")
	b.proposalStarted() // a second round's proposal
	b.blockStarted(1_000)
	require.Equal(t, max(n-1, 1), b.slots.Limit(), "executing the block")
	b.blockDone(nil)
	require.Equal(t, max(n-1, 1), b.slots.Limit(), "until the re-check ends")
	b.settled()
	require.Equal(t, n, b.slots.Limit())
}
