// Package mempool is the app-side mempool's index (CometBFT `[mempool] type =
// "app"`): admitted txs per sender in sequence order, fee priority across senders,
// bounds by count and bytes with eviction of the lowest priority, the queue of txs
// not yet handed to CometBFT for gossip, and proposal selection. It knows nothing
// of state: the app checks a tx against its per-account view (app/mempool_admit.go)
// and then inserts it here. See docs/MEMPOOL.md.
package mempool

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"

	"github.com/selfchain/selfchain/app/tx"
)

// Errors Insert returns; the app maps them to registered codes.
var (
	ErrFull          = errors.New("mempool is full")
	ErrDuplicate     = errors.New("tx already in the mempool")
	ErrUnderpriced   = errors.New("replacement fee too low")
	ErrSequenceGap   = errors.New("sequence gap")
	ErrSequenceStale = errors.New("sequence already used")
)

// ReplaceBumpPercent is how much higher a replacement's priority (fee per gas) and
// fee must be than the pending tx of the same sender and sequence: without a
// minimum step, one account could make every node re-gossip a tx per fee unit.
const ReplaceBumpPercent = 10

// Tx is one admitted tx.
type Tx struct {
	Tx       *tx.Tx // decoded; its Hash keys the pool
	Bytes    []byte
	Sender   string // the signer's address bytes
	Seq      uint64
	Priority uint64 // fee per gas unit, scaled by 1e6 (Priority)
	Fee      uint64 // the fee's first coin, saturating: replacement compares it
	arrival  uint64 // tie-break: earlier first
	removed  bool   // still referenced by the gossip queue after removal
}

// Priority is the fee's first coin per unit of declared gas, times 1e6, saturating
// at MaxUint64. Fees are paid in one denom on this chain (the bond denom); a fee in
// several denoms is ranked by the first.
func Priority(t *tx.Tx) (prio, fee uint64) {
	fees := t.Fee()
	if len(fees) == 0 {
		return 0, 0
	}
	amt := fees[0].Amount
	if !amt.IsUint64() {
		return math.MaxUint64, math.MaxUint64
	}
	fee = amt.Uint64()
	gas := max(t.GasLimit(), 1)
	hi, lo := bits.Mul64(fee, 1_000_000)
	if hi >= gas {
		return math.MaxUint64, fee
	}
	q, _ := bits.Div64(hi, lo, gas)
	return q, fee
}

// NewTx wraps a decoded, admitted tx for Insert.
func NewTx(t *tx.Tx, bz []byte) *Tx {
	prio, fee := Priority(t)
	return &Tx{Tx: t, Bytes: bz, Sender: string(t.Signer), Seq: t.Sequence(), Priority: prio, Fee: fee}
}

// Limits bound the pool; zero means unbounded.
type Limits struct {
	MaxTxs   int
	MaxBytes int64
}

// Pool is safe for concurrent use. Insert and Retain for one sender must be
// serialised by the caller (SenderLock), which is what makes the caller's
// per-account view consistent with the pool; different senders proceed in parallel.
type Pool struct {
	limits Limits
	locks  [256]sync.Mutex

	mu      sync.Mutex
	senders map[string][]*Tx // pending txs of each sender, contiguous sequences, ascending
	byHash  map[[32]byte]*Tx
	count   int
	bytes   int64
	arrival uint64
	gossip  []*Tx // admitted, not yet returned by TakeGossip

	admitLimit int           // new txs wait for room at this count (room.go); 0: none
	admitBytes int64         // … or at these bytes; 0: none
	room       chan struct{} // closed when txs leave the pool, for WaitRoom
}

func New(l Limits) *Pool {
	return &Pool{limits: l, senders: map[string][]*Tx{}, byHash: map[[32]byte]*Tx{}}
}

// SenderLock returns the lock serialising admission and re-checks of sender.
func (p *Pool) SenderLock(sender string) *sync.Mutex {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(sender); i++ {
		h = (h ^ uint32(sender[i])) * 16777619
	}
	return &p.locks[h%uint32(len(p.locks))]
}

// Size is the number of pending txs and their bytes.
func (p *Pool) Size() (int, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count, p.bytes
}

// Has reports whether the tx with this hash is pending.
func (p *Pool) Has(h [32]byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byHash[h]
	return ok
}

// Pending returns a copy of sender's pending txs from sequence from on (stale ones
// below from, already committed, are skipped).
func (p *Pool) Pending(sender string, from uint64) []*Tx {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.senders[sender]
	i := 0
	for i < len(q) && q[i].Seq < from {
		i++
	}
	return append([]*Tx(nil), q[i:]...)
}

// Insert adds t, whose sender's next committed sequence is committed (the caller
// checked t against it and against the pending txs, holding SenderLock). t either
// extends the sender's queue by one or replaces the pending tx of its sequence
// (ReplaceBumpPercent higher). When the pool is over a limit, the lowest-priority
// txs that end another sender's queue are evicted if t outranks them; otherwise
// ErrFull. Evicting only queue ends never leaves a sender with a sequence gap.
func (p *Pool) Insert(t *Tx, committed uint64) (evicted []*Tx, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.byHash[t.Tx.Hash]; ok {
		return nil, ErrDuplicate
	}
	p.dropStale(t.Sender, committed)
	q := p.senders[t.Sender]
	next := committed + uint64(len(q))
	switch {
	case t.Seq < committed:
		return nil, fmt.Errorf("%w: the account's next sequence is %d", ErrSequenceStale, committed)
	case t.Seq > next:
		return nil, fmt.Errorf("%w: the account's next sequence is %d (%d committed, %d pending)", ErrSequenceGap, next, committed, len(q))
	}
	var old *Tx
	if t.Seq < next {
		old = q[t.Seq-committed]
		if !bumped(t.Priority, old.Priority) || !bumped(t.Fee, old.Fee) {
			return nil, fmt.Errorf("%w: a pending tx has sequence %d with fee %d (priority %d): a replacement needs both at least %d%% higher",
				ErrUnderpriced, t.Seq, old.Fee, old.Priority, ReplaceBumpPercent)
		}
	}
	size := int64(len(t.Bytes))
	count, bytes := p.count+1, p.bytes+size
	if old != nil {
		count, bytes = count-1, bytes-int64(len(old.Bytes))
	}
	victims, ok := p.victims(t, count, bytes)
	if !ok {
		return nil, fmt.Errorf("%w: %d txs, %d bytes (limits %d txs, %d bytes) and no pending tx ranks below this one's priority %d: raise the fee or retry later",
			ErrFull, p.count, p.bytes, p.limits.MaxTxs, p.limits.MaxBytes, t.Priority)
	}
	for _, v := range victims {
		p.removeTail(v)
	}
	p.arrival++
	t.arrival = p.arrival
	if old != nil {
		q = p.senders[t.Sender]
		q[t.Seq-committed] = t
		p.forget(old)
	} else {
		p.senders[t.Sender] = append(p.senders[t.Sender], t)
	}
	p.byHash[t.Tx.Hash] = t
	p.count++
	p.bytes += size
	p.gossip = append(p.gossip, t)
	p.compactGossip()
	return victims, nil
}

// compactGossip drops removed txs from the gossip queue once it is well past the
// pool's size: with broadcast off (or no one calling ReapTxs) the queue would
// otherwise keep every tx ever admitted alive. It then holds at most the pool.
func (p *Pool) compactGossip() {
	if len(p.gossip) <= 2*p.count+1024 {
		return
	}
	live := p.gossip[:0]
	for _, t := range p.gossip {
		if !t.removed {
			live = append(live, t)
		}
	}
	clear(p.gossip[len(live):])
	p.gossip = live
}

// GossipLen is the length of the gossip queue (tests).
func (p *Pool) GossipLen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.gossip)
}

func bumped(n, old uint64) bool {
	hi, lo := bits.Mul64(old, 100+ReplaceBumpPercent)
	if hi != 0 {
		return n == math.MaxUint64 && old != math.MaxUint64
	}
	need := lo / 100
	if lo%100 != 0 {
		need++
	}
	return n >= need && n > old
}

// victims picks the queue ends to evict so that count and bytes fit the limits,
// lowest priority first (latest arrival among equals), never t's own sender and
// never a tx that ranks at or above t.
func (p *Pool) victims(t *Tx, count int, bytes int64) ([]*Tx, bool) {
	over := func() bool {
		return (p.limits.MaxTxs > 0 && count > p.limits.MaxTxs) || (p.limits.MaxBytes > 0 && bytes > p.limits.MaxBytes)
	}
	if !over() {
		return nil, true
	}
	// Ends of queues, with how deep each sender has been cut so far.
	cut := map[string]int{}
	var out []*Tx
	for over() {
		var low *Tx
		for s, q := range p.senders {
			if s == t.Sender {
				continue
			}
			i := len(q) - 1 - cut[s]
			if i < 0 {
				continue
			}
			c := q[i]
			if low == nil || c.Priority < low.Priority || (c.Priority == low.Priority && c.arrival > low.arrival) {
				low = c
			}
		}
		if low == nil || low.Priority >= t.Priority {
			return nil, false
		}
		cut[low.Sender]++
		out = append(out, low)
		count--
		bytes -= int64(len(low.Bytes))
	}
	return out, true
}

// removeTail removes v, the current end of its sender's queue.
func (p *Pool) removeTail(v *Tx) {
	q := p.senders[v.Sender]
	q = q[:len(q)-1]
	if len(q) == 0 {
		delete(p.senders, v.Sender)
	} else {
		p.senders[v.Sender] = q
	}
	p.forget(v)
}

// forget drops v from the index and the totals (not from its sender's queue).
func (p *Pool) forget(v *Tx) {
	delete(p.byHash, v.Tx.Hash)
	p.count--
	p.bytes -= int64(len(v.Bytes))
	v.removed = true
}

// dropStale removes sender's txs below sequence committed (included in blocks).
func (p *Pool) dropStale(sender string, committed uint64) {
	q := p.senders[sender]
	i := 0
	for i < len(q) && q[i].Seq < committed {
		p.forget(q[i])
		i++
	}
	if i == 0 {
		return
	}
	if i == len(q) {
		delete(p.senders, sender)
		return
	}
	p.senders[sender] = append(q[:0:0], q[i:]...)
}

// Retain keeps sender's pending txs with committed <= sequence < committed+n and
// removes the others: the re-check after a block (caller holds SenderLock).
// It returns how many were removed.
func (p *Pool) Retain(sender string, committed uint64, n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := len(p.senders[sender])
	p.dropStale(sender, committed)
	q := p.senders[sender]
	if n < len(q) {
		for _, v := range q[n:] {
			p.forget(v)
		}
		if n == 0 {
			delete(p.senders, sender)
		} else {
			p.senders[sender] = q[:n]
		}
	}
	removed := before - len(p.senders[sender])
	if removed > 0 {
		p.signalRoom()
	}
	return removed
}

// Remove drops the tx with hash h and every later tx of its sender (they would
// have a gap). It returns how many were removed.
func (p *Pool) Remove(h [32]byte) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.byHash[h]
	if !ok {
		return 0
	}
	q := p.senders[t.Sender]
	for i, v := range q {
		if v == t {
			for _, w := range q[i:] {
				p.forget(w)
			}
			if i == 0 {
				delete(p.senders, t.Sender)
			} else {
				p.senders[t.Sender] = q[:i]
			}
			p.signalRoom()
			return len(q) - i
		}
	}
	return 0
}

// TakeGossip returns the txs admitted since the last call, in admission order
// (so each sender's in sequence order), up to maxBytes and maxGas (0: no limit):
// what ReapTxs hands CometBFT to broadcast. Each tx is returned once.
func (p *Pool) TakeGossip(maxBytes, maxGas uint64) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out [][]byte
	var size, gas uint64
	i := 0
	for ; i < len(p.gossip); i++ {
		t := p.gossip[i]
		if t.removed {
			continue
		}
		n, g := uint64(len(t.Bytes)), t.Tx.GasLimit()
		if (maxBytes > 0 && size+n > maxBytes && len(out) > 0) || (maxGas > 0 && gas+g > maxGas && len(out) > 0) {
			break
		}
		size += n
		gas += g
		out = append(out, t.Bytes)
	}
	rest := copy(p.gossip, p.gossip[i:])
	clear(p.gossip[rest:])
	p.gossip = p.gossip[:rest]
	return out
}
