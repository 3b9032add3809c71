package relayer

import (
	"context"
	"sync"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/x/bridge"
)

// maxAwaited bounds the submissions of one kind (one direction's receives, or one
// chain's acks and timeouts) whose blocks are awaited at once.
const maxAwaited = 4

// inflight is what Run has handed to a mempool and not yet seen in a block: the
// packets' sequences, so the next scan — which starts at once, while the chain is
// still making the block — does not send them again. It is a hint, never the truth:
// the marks go when the txs' blocks come (or do not, within txWait), and state
// decides everything else, so a restart, which forgets them, loses nothing.
type inflight struct {
	mu    sync.Mutex
	seqs  map[uint64]bool
	slots chan struct{}
	wg    sync.WaitGroup
}

func newInflight() *inflight {
	return &inflight{seqs: map[uint64]bool{}, slots: make(chan struct{}, maxAwaited)}
}

// without drops the packets in flight.
func (f *inflight) without(ps []bridge.Packet) []bridge.Packet {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seqs) == 0 {
		return ps
	}
	out := make([]bridge.Packet, 0, len(ps))
	for _, p := range ps {
		if !f.seqs[p.Sequence] {
			out = append(out, p)
		}
	}
	return out
}

func (f *inflight) mark(ps []bridge.Packet, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range ps {
		if on {
			f.seqs[p.Sequence] = true
		} else {
			delete(f.seqs, p.Sequence)
		}
	}
}

// dispatch sends txs (the batches of packets, lead ahead of them) on c. One-shot
// (Step) it waits for their blocks and returns finish's verdict. Under Run it
// returns once they are in the mempool, so the worker's next scan starts while the
// chain makes the block; finish then runs when the blocks come, and what it reports
// is logged.
func (r *Relayer) dispatch(ctx context.Context, c *chain, fly *inflight, packets [][]bridge.Packet, lead runtime.Msg, txs [][]runtime.Msg,
	finish func([]*client.TxResult, error) (bool, error)) (bool, error) {
	if !r.async {
		results, err := c.sendAll(ctx, lead, txs)
		return finish(results, err)
	}
	select {
	case fly.slots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	tr := r.trace("dispatch on " + c.Name)
	sent, sendErr := c.submit(ctx, lead, txs)
	tr.mark("submit", len(sent.hashes), sendErr)
	n := sent.batches()
	if len(sent.hashes) == 0 || n == 0 && sendErr != nil {
		<-fly.slots
		if len(sent.hashes) > 0 {
			// Only the update went in; its block is not worth waiting for here.
			_, _ = c.await(ctx, sent)
		}
		return finish(nil, sendErr)
	}
	var marked []bridge.Packet
	for _, ps := range packets[:n] {
		marked = append(marked, ps...)
	}
	fly.mark(marked, true)
	fly.wg.Add(1)
	go func() {
		defer fly.wg.Done()
		defer func() { <-fly.slots }()
		defer fly.mark(marked, false)
		results, err := c.await(ctx, sent)
		if len(results) > 0 {
			tr.mark("await", len(results), results[0].Height, results[len(results)-1].Height, err)
		}
		if err == nil {
			err = sendErr
		}
		if _, err := finish(results, err); err != nil && ctx.Err() == nil {
			r.logf("error: %v", err)
		}
	}()
	return true, nil
}
