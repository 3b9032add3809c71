package mempool

import "container/heap"

// Verdict is what a Select callback decides for the tx offered.
type Verdict int

const (
	Take       Verdict = iota // include it; offer the sender's next tx later
	SkipSender                // leave it and the sender's later txs out of this block
	Stop                      // the block is full
)

// Select offers pending txs in block order: across senders the highest priority
// first (earlier arrival among equals), each sender's in sequence order, so a
// sender's tx is offered only after its predecessor was taken. The pool is locked
// for the duration: fn must not call back into it.
func (p *Pool) Select(fn func(*Tx) Verdict) {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := make(heads, 0, len(p.senders))
	for _, q := range p.senders {
		h = append(h, head{q: q})
	}
	heap.Init(&h)
	for h.Len() > 0 {
		top := &h[0]
		switch fn(top.q[top.i]) {
		case Stop:
			return
		case SkipSender:
			heap.Pop(&h)
		case Take:
			top.i++
			if top.i == len(top.q) {
				heap.Pop(&h)
			} else {
				heap.Fix(&h, 0)
			}
		}
	}
}

// head is a sender's queue and the index of its next tx to offer.
type head struct {
	q []*Tx
	i int
}

type heads []head

func (h heads) Len() int { return len(h) }
func (h heads) Less(i, j int) bool {
	a, b := h[i].q[h[i].i], h[j].q[h[j].i]
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return a.arrival < b.arrival
}
func (h heads) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *heads) Push(x any)   { *h = append(*h, x.(head)) }
func (h *heads) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
