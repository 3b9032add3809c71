package app

import (
	goruntime "runtime"
	"sync/atomic"
	"time"

	"github.com/selfchain/selfchain/app/mempool"
)

// Bounds of the app mempool under overload (docs/MEMPOOL.md, "Bounds under
// overload"). Without them a pool that admits everything hands the proposer
// tens of thousands of txs; blocks grow to ~10,000 txs and take seconds, and
// every tx waits in a queue several blocks long.
//
//   - A proposal takes at most blockTxs txs: what this node measured it executes
//     and commits in app.toml mempool.block-time. PrepareProposal is the
//     proposer's choice (ProcessProposal checks only the consensus rules), so a
//     cap measured on the wall clock is legitimate there and nowhere else. It
//     holds for CometBFT's flood mempool too, whose proposer is handed every tx
//     that fits 4 MiB (~20,000 sends).
//   - The pool admits ahead-blocks proposals' worth: ahead × blockTxs txs and
//     ahead × the tx bytes a block carries (large txs, such as hybrid-key ones, fill
//     a block's bytes long before its count). Beyond that an RPC submission waits
//     for a block to make room (admit-wait), then gets selfchain/32045; a peer's
//     tx never waits and is admitted up to twice the limit (Pool.PeerRoom).
//   - At most GOMAXPROCS admissions run at once, one fewer from FinalizeBlock to
//     the end of the block's re-check (mempool.Slots), so the block keeps a core.

// minBlockTxs is the least a proposal may take whatever was measured; blocks
// smaller than minMeasuredTxs are not measured (fixed costs dominate them).
const (
	minBlockTxs    = 1_000
	minMeasuredTxs = 64
	// initialTxCost is the per-tx execution cost assumed until a block is measured
	// (a 10,000-send block executes and commits in ~0.3 s on one core).
	initialTxCost = 50 * time.Microsecond
)

// budget is the measured execution cost and the caps derived from it. Only the
// parts of a block that grow with its txs are timed (the tx loop of FinalizeBlock
// and the state commit): dividing the whole block's time by its txs would count
// the fixed costs (hooks, the re-check's setup, a machine busy with other work)
// as per-tx costs, and a cap derived from that shrinks block after block.
type budget struct {
	target   time.Duration // app.toml mempool.block-time
	ahead    int
	wait     time.Duration
	txCost   atomic.Int64 // ns per tx, smoothed over blocks
	blockTxs atomic.Int64 // a proposal's tx cap
	// blockBytes is the tx bytes a proposal carries: PrepareProposal's MaxTxBytes
	// once this node has proposed, the chain's block.max_bytes before that
	// (block_gas.go), the default until InitChain.
	blockBytes atomic.Int64
	slots      *mempool.Slots
	// consensus connection only (FinalizeBlock → Commit)
	active bool
	txs    int
	exec   time.Duration
}

func newBudget(c MempoolConfig) *budget {
	d := DefaultConfig().Mempool
	if c.BlockTime <= 0 {
		c.BlockTime = d.BlockTime
	}
	if c.AheadBlocks <= 0 {
		c.AheadBlocks = d.AheadBlocks
	}
	b := &budget{target: c.BlockTime, ahead: c.AheadBlocks, wait: c.AdmitWait, slots: mempool.NewSlots(goruntime.GOMAXPROCS(0))}
	b.txCost.Store(int64(initialTxCost))
	b.blockTxs.Store(capFor(b.target, initialTxCost))
	b.blockBytes.Store(DefaultBlockMaxBytes)
	return b
}

func capFor(target, cost time.Duration) int64 {
	return max(int64(target)/max(int64(cost), 1), minBlockTxs)
}

// proposalStarted is called when this node starts to build (PrepareProposal) or
// check (ProcessProposal) a proposal: from then until the block has settled,
// admissions leave a core to consensus, which assembles the proposal's parts,
// counts the votes and executes the block on one goroutine.
func (b *budget) proposalStarted() { b.slots.SetLimit(goruntime.GOMAXPROCS(0) - 1) }

// setBlockBytes records n, the tx bytes a block may carry, and reports whether
// that changed the admission limit.
func (b *budget) setBlockBytes(n int64) bool { return n > 0 && b.blockBytes.Swap(n) != n }

// admitLimit sets pool's admission limit from the caps (mempool/room.go).
func (b *budget) admitLimit(pool *mempool.Pool) {
	pool.SetAdmitLimit(int(b.blockTxs.Load())*b.ahead, b.blockBytes.Load()*int64(b.ahead))
}

// blockStarted is called when FinalizeBlock begins: admissions leave a core to it
// until settled.
func (b *budget) blockStarted(txs int) {
	b.active, b.txs, b.exec = true, txs, 0
	b.slots.SetLimit(goruntime.GOMAXPROCS(0) - 1)
}

// settled is called when the block's re-check has ended (after Commit, on the
// re-check's goroutine; in Commit with the flood mempool): admission gets its
// cores back.
func (b *budget) settled() { b.slots.SetLimit(goruntime.GOMAXPROCS(0)) }

// measured adds d, time spent on the block's per-tx work, to the block's cost.
func (b *budget) measured(d time.Duration) {
	if b.active {
		b.exec += d
	}
}

// blockDone is called at the end of Commit: it updates the per-tx cost and the
// caps. It returns the new proposal cap.
func (b *budget) blockDone(pool *mempool.Pool) int64 {
	if !b.active {
		return b.blockTxs.Load()
	}
	b.active = false
	if b.txs >= minMeasuredTxs {
		// Half the weight on the newest block: the cost follows load within a few blocks.
		cost := (b.txCost.Load() + int64(b.exec)/int64(b.txs)) / 2
		b.txCost.Store(cost)
		b.blockTxs.Store(capFor(b.target, time.Duration(cost)))
	}
	if pool != nil { // the flood mempool has only the proposal cap
		b.admitLimit(pool)
	}
	return b.blockTxs.Load()
}
