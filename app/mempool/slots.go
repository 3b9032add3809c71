package mempool

import "sync"

// Slots bounds how many admissions run at once. CometBFT calls CheckTx on a
// goroutine per RPC request, so under load dozens of admissions are runnable at
// once; Go's scheduler shares the cores evenly between goroutines, and the one
// goroutine executing and committing a block then gets a few percent of a core:
// blocks that should take 0.3 s took 3 s. With as many slots as cores, and one
// fewer from the block's proposal until it has settled, consensus keeps a core.
type Slots struct {
	mu    sync.Mutex
	cond  sync.Cond
	used  int
	limit int
}

// NewSlots returns slots for n concurrent holders (at least 1).
func NewSlots(n int) *Slots {
	s := &Slots{limit: max(n, 1)}
	s.cond.L = &s.mu
	return s
}

// Acquire waits for a free slot.
func (s *Slots) Acquire() {
	s.mu.Lock()
	for s.used >= s.limit {
		s.cond.Wait()
	}
	s.used++
	s.mu.Unlock()
}

// Release frees the slot Acquire took.
func (s *Slots) Release() {
	s.mu.Lock()
	s.used--
	s.mu.Unlock()
	s.cond.Signal()
}

// SetLimit changes the number of slots (at least 1). Lowering it does not
// interrupt holders: new ones wait until fewer than n hold a slot.
func (s *Slots) SetLimit(n int) {
	s.mu.Lock()
	s.limit = max(n, 1)
	s.mu.Unlock()
	s.cond.Broadcast()
}

// Limit is the current number of slots (tests).
func (s *Slots) Limit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit
}

// InUse is how many slots are held (tests, metrics).
func (s *Slots) InUse() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}
