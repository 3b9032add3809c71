package mempool

import "time"

// Backpressure. Limits bound the pool's memory; the admission limit bounds how far
// admission runs ahead of execution. Under overload a pool that admits whatever
// arrives fills with many blocks' worth of txs, each of which then waits blocks to
// be proposed: latency grows with the queue, and a proposer that takes it all
// builds blocks that take seconds. With SetAdmitLimit(n, b) a new tx (not a
// replacement) waits for room while the pool holds n or more txs or b or more
// bytes; the re-check after each block makes room.

// SetAdmitLimit sets how many txs and bytes the pool holds before new txs wait
// for room (0: no limit beyond Limits). The app sets them to a few blocks' worth:
// the count a block executes in its time, the bytes a block carries.
func (p *Pool) SetAdmitLimit(txs int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.admitLimit, p.admitBytes = max(txs, 0), max(bytes, 0)
	p.signalRoom()
}

// AdmitLimit is the current admission limit in txs and bytes (0: none).
func (p *Pool) AdmitLimit() (int, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.admitLimit, p.admitBytes
}

// WaitRoom reports whether a tx of sender with sequence seq may be admitted now:
// the pool holds fewer txs and bytes than the admission limit, or the tx would
// replace a pending one. Otherwise it waits up to wait for a block to make room
// and reports false if none came. The check is not a reservation: concurrent admissions that
// all pass it overshoot the limit by at most their number.
func (p *Pool) WaitRoom(sender string, seq uint64, wait time.Duration) bool {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		p.mu.Lock()
		if p.hasRoom() || p.replaces(sender, seq) {
			p.mu.Unlock()
			return true
		}
		if p.room == nil {
			p.room = make(chan struct{})
		}
		ch := p.room
		p.mu.Unlock()
		if wait <= 0 {
			return false
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		}
		select {
		case <-ch:
		case <-timer.C:
			return false
		}
	}
}

// hasRoom reports whether the pool is below both admission limits (p.mu held).
func (p *Pool) hasRoom() bool {
	return (p.admitLimit == 0 || p.count < p.admitLimit) && (p.admitBytes == 0 || p.bytes < p.admitBytes)
}

// replaces reports whether sender has a pending tx with sequence seq (p.mu held).
func (p *Pool) replaces(sender string, seq uint64) bool {
	q := p.senders[sender]
	return len(q) > 0 && q[0].Seq <= seq && seq < q[0].Seq+uint64(len(q))
}

// signalRoom wakes the admissions waiting for room (p.mu held); called when txs
// leave the pool or the limit changes.
func (p *Pool) signalRoom() {
	if p.room != nil {
		close(p.room)
		p.room = nil
	}
}
