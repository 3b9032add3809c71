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
// and reports false if none came. The check is not a reservation: concurrent
// admissions that all pass it overshoot the limit by at most their number.
func (p *Pool) WaitRoom(sender string, seq uint64, wait time.Duration) bool {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		p.mu.Lock()
		if p.hasRoom(1) || p.replaces(sender, seq) {
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

// PeerRoom reports whether a tx a peer gossiped may be admitted now: the pool
// holds fewer than PeerRoomFactor times the admission limit in txs and bytes, or
// the tx replaces a pending one. A peer's tx never waits.
//
// Why more room than WaitRoom's: under overload every node's pool fills with its
// own clients' txs, and with one limit for both it then refuses its peers'; a tx
// enters a block only when its own node proposes, and the network holds
// ahead-blocks per node. Peers' txs admitted past the limit (and counted by it)
// put every pending tx in every proposer's pool and make a node's own clients wait
// while its pool is full of the network's txs.
func (p *Pool) PeerRoom(sender string, seq uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hasRoom(PeerRoomFactor) || p.replaces(sender, seq)
}

// PeerRoomFactor is how many admission limits' worth a pool holds for peers' txs.
const PeerRoomFactor = 2

// hasRoom reports whether the pool is below n times both admission limits (p.mu held).
func (p *Pool) hasRoom(n int) bool {
	return (p.admitLimit == 0 || p.count < n*p.admitLimit) && (p.admitBytes == 0 || p.bytes < int64(n)*p.admitBytes)
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
