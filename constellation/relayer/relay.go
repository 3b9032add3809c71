package relayer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/x/bridge"
)

// recvMargin: a packet this close to its timeout (by the destination's clock) is
// not delivered but left to time out; a delivery landing after the timeout would
// fail the whole batch.
const recvMargin = 3 * time.Second

// Relayer relays packets both ways between the two sides of a bridge.
type Relayer struct {
	cfg  Config
	a, b *chain
	ab   lane // a's packets to b
	ba   lane
	logf func(string, ...any)
	// async: a worker goes on once its txs are in the mempool (Run); Step waits for
	// their blocks.
	async   bool
	metrics *relayerMetrics
}

// lane is one direction. next is where the deliverer's next scan of src's pending
// packets starts: delivered packets stay pending until acknowledged, so scanning from
// the first would show only those while their acks are on the way. It is a cursor, not
// a record: it wraps to 0 at the end, and a restart starts from 0 (state is the truth).
type lane struct {
	src, dst *chain
	next     uint64
	// settleNext is the settler's cursor, the same way: without it the settler saw
	// only the first 1,000 pending packets, so acks of later pages (delivered while
	// the first page's acks were on the way, or behind packets waiting for their
	// timeout) waited until the first page was settled.
	settleNext uint64
	// settleBlock is dst's newest block the settler has looked at the first page
	// after: a block of dst makes its receipts provable, and the first page holds the
	// oldest packets, so after each block the settler looks there once before going
	// on with its pass, rather than finishing a pass over pages not yet delivered
	// first (seconds with 10,000 pending, a page at a time on loaded nodes).
	settleBlock int64
	recv        *inflight // src's packets whose receipt on dst is in a mempool
	settle      *inflight // src's packets whose ack or timeout on src is in a mempool
}

func newLane(src, dst *chain) lane {
	return lane{src: src, dst: dst, recv: newInflight(), settle: newInflight()}
}

// New connects to both chains and opens the relayer's keys.
func New(ctx context.Context, cfg Config) (*Relayer, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = 250 * time.Millisecond
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	tr := newTracer(cfg.Logf, "start")
	tr.mark("process up")
	a, err := connect(ctx, cfg.A, cfg.Logf)
	if err != nil {
		return nil, err
	}
	tr.mark("connected " + a.Name)
	b, err := connect(ctx, cfg.B, cfg.Logf)
	if err != nil {
		return nil, err
	}
	tr.mark("connected " + b.Name)
	a.broadcastOne, b.broadcastOne = !cfg.BroadcastAll, !cfg.BroadcastAll
	return &Relayer{cfg: cfg, a: a, b: b, ab: newLane(a, b), ba: newLane(b, a), logf: cfg.Logf, metrics: newRelayerMetrics()}, nil
}

// Run relays until ctx ends: five workers, each on its own schedule — per direction a
// deliverer and a settler, and a refresher of both clients. Deliveries of the next
// packets go out while earlier ones wait for the header that proves their receipt,
// both directions at once; each chain's txs are still signed one at a time (sendAll).
// The deliverer of a direction wakes at each new block of its source (the block that
// makes a packet provable), the settler at each new block of the destination (the
// one that makes an ack provable): blocks come as websocket events, /status polling
// standing in while the subscription is down (heads.go).
// Errors are logged (once while they repeat) and the worker carries on: a node that is
// down, a client that needs recovery or a key without fees are reported, not fatal.
func (r *Relayer) Run(ctx context.Context) error {
	r.logf("relaying %s (%s, %s, key %s %s) <-> %s (%s, %s, key %s %s)",
		r.a.Name, r.a.ChainID, r.a.ClientID, r.a.Key, r.a.addr, r.b.Name, r.b.ChainID, r.b.ClientID, r.b.Key, r.b.addr)
	r.async = true
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if r.cfg.MetricsAddr != "" {
		at, err := r.serveMetrics(wctx, r.cfg.MetricsAddr)
		if err != nil {
			return err
		}
		r.logf("metrics at http://%s/metrics", at)
	}
	var watchers sync.WaitGroup
	for _, c := range []*chain{r.a, r.b} {
		watchers.Add(1)
		go func() {
			defer watchers.Done()
			c.watch(wctx, followCfg{staleAfter: staleAfter, pollEvery: pollEvery, logf: r.logf, name: c.Name})
		}()
	}
	workers := []worker{
		{func(ctx context.Context) (bool, error) { return r.deliverStep(ctx, &r.ab) }, r.a.heads},
		{func(ctx context.Context) (bool, error) { return r.settleStep(ctx, &r.ab) }, r.b.heads},
		{func(ctx context.Context) (bool, error) { return r.deliverStep(ctx, &r.ba) }, r.b.heads},
		{func(ctx context.Context) (bool, error) { return r.settleStep(ctx, &r.ba) }, r.a.heads},
		{func(ctx context.Context) (bool, error) {
			return false, errors.Join(r.refresh(ctx, r.a, r.b), r.refresh(ctx, r.b, r.a))
		}, nil},
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(ctx, w)
		}()
	}
	wg.Wait()
	for _, f := range []*inflight{r.ab.recv, r.ab.settle, r.ba.recv, r.ba.settle} {
		f.wg.Wait()
	}
	stopWatch()
	watchers.Wait()
	r.logf("relayer stopped")
	return nil
}

// staleAfter: no block event for this long means the subscription is down (blocks
// come every 0.5-5 s on these chains); pollEvery is the fallback's /status poll.
const (
	staleAfter = 3 * time.Second
	pollEvery  = 100 * time.Millisecond
)

// worker is one loop of Run: its step, and the chain whose new blocks wake it (nil:
// the interval alone).
type worker struct {
	step func(context.Context) (bool, error)
	wake *heads
}

// errNotYet: there is work, but the header that proves it is not final yet; look
// again at the next block.
var errNotYet = errors.New("not provable yet")

// loop runs one worker until ctx ends. Between passes it waits for the next block of
// its chain, or the interval, whichever comes first.
func (r *Relayer) loop(ctx context.Context, w worker) {
	lastErr := ""
	for ctx.Err() == nil {
		var woken <-chan struct{}
		if w.wake != nil {
			woken = w.wake.wait() // before the step: a block during it wakes the next pass
		}
		worked, err := w.step(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := r.cfg.Interval
		switch {
		case errors.Is(err, errNotYet):
			if woken == nil {
				wait = min(wait, notYetWait)
			}
		case err != nil:
			if msg := err.Error(); msg != lastErr {
				for _, line := range strings.Split(msg, "\n") {
					r.logf("error: %s", line)
				}
				lastErr = msg
			}
			wait = 5 * r.cfg.Interval
			woken = nil // a failing node or tx: not at every block
		default:
			if lastErr != "" {
				r.logf("recovered: relaying again")
			}
			lastErr = ""
			if worked {
				continue // at once: more may be waiting
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-woken:
		case <-t.C:
		}
		t.Stop()
	}
}

// notYetWait is how soon a worker without block events looks again for a header
// that is about to be final.
const notYetWait = 100 * time.Millisecond

// Step does one pass of every worker, one after the other, and reports whether it
// sent anything (tests and one-shot runs; Run overlaps them).
func (r *Relayer) Step(ctx context.Context) (bool, error) {
	w1, e1 := r.deliverStep(ctx, &r.ab)
	w2, e2 := r.settleStep(ctx, &r.ab)
	w3, e3 := r.deliverStep(ctx, &r.ba)
	w4, e4 := r.settleStep(ctx, &r.ba)
	e5 := r.refresh(ctx, r.a, r.b)
	e6 := r.refresh(ctx, r.b, r.a)
	for _, e := range []*error{&e1, &e2, &e3, &e4} {
		if errors.Is(*e, errNotYet) {
			*e = nil
		}
	}
	return w1 || w2 || w3 || w4, errors.Join(e1, e2, e3, e4, e5, e6)
}

// usable refuses a frozen or expired client in plain words: no relayer can
// update it, only the holding chain's bridge authority can recover it.
func usable(holder *chain, info bridge.ClientInfo) error {
	switch info.Status {
	case bridge.CLIENT_STATUS_ACTIVE:
		return nil
	case bridge.CLIENT_STATUS_FROZEN:
		return fmt.Errorf("client %s on %s (of chain %s) is frozen since misbehaviour at height %d: nothing can be relayed over it until the authority of %s recovers it (selfchaind tx bridge recover-client, docs/CONSTELLATION.md)",
			holder.ClientID, holder.Name, info.Client.ChainId, info.Client.FrozenHeight, holder.ChainID)
	case bridge.CLIENT_STATUS_EXPIRED:
		return fmt.Errorf("client %s on %s (of chain %s) expired at %s (no update within its trusting period): nothing can be relayed over it until the authority of %s recovers it (selfchaind tx bridge recover-client, docs/CONSTELLATION.md)",
			holder.ClientID, holder.Name, info.Client.ChainId, time.Unix(info.ExpiresAt, 0).UTC().Format(time.RFC3339), holder.ChainID)
	}
	return fmt.Errorf("client %s on %s has status %s", holder.ClientID, holder.Name, info.Status)
}

// deliverStep delivers the next page of src's packets to dst. It needs only dst's
// client of src: with src's client of dst expired, packets still go out (and
// settleStep reports the other half).
func (r *Relayer) deliverStep(ctx context.Context, l *lane) (bool, error) {
	// Cheap check first: an idle bridge costs one query a pass, no header fetch.
	if ps, _, err := l.src.pendingPage(ctx, 0, l.next, 1); err != nil || len(ps) == 0 {
		if err == nil && l.next != 0 {
			l.next = 0
			return true, nil // past the last page: start over at once
		}
		return false, err
	}
	dstInfo, err := l.dst.clientInfo(ctx)
	if err != nil {
		return false, err
	}
	if err := usable(l.dst, dstInfo); err != nil {
		return false, err
	}
	worked, err := r.deliver(ctx, l, dstInfo)
	if err == nil && !worked {
		// Packets are pending, but none could go out: either they wait for their
		// acks, or a new one is not yet in a header dst's client can hold. Look
		// again soon: a whole idle interval here is latency on every new packet.
		return false, errNotYet
	}
	return worked, err
}

// settleStep acknowledges on src what dst received, and times out what it will not:
// this needs only src's client of dst, so src can refund what times out even when
// nothing can be delivered.
func (r *Relayer) settleStep(ctx context.Context, l *lane) (bool, error) {
	src := l.src
	start, peek := l.settleNext, false
	if h := l.dst.heads.latest(); h > l.settleBlock {
		l.settleBlock = h
		start, peek = 0, l.settleNext != 0
	}
	pending, next, err := src.pendingPage(ctx, 0, start, pageSize)
	if err != nil {
		return false, err
	}
	if len(pending) == 0 {
		if start != 0 {
			l.settleNext = 0
			return true, nil // past the last page: start over at once
		}
		return false, nil
	}
	// The next pass reads the next page (after the last, the first again): what is
	// left on this one waits for its receipt or its timeout, or is in flight. A
	// look at the first page after a block leaves the cursor where it was.
	turn := func(worked bool, err error) (bool, error) {
		if peek {
			if err == nil || errors.Is(err, errNotYet) {
				return true, nil // on with the pass at once
			}
			return worked, err
		}
		l.settleNext = next
		if next != 0 && (err == nil || errors.Is(err, errNotYet)) {
			return true, nil // more pages: at once
		}
		return worked, err
	}
	if pending = l.settle.without(pending); len(pending) == 0 {
		return turn(false, errNotYet) // all settling: their blocks come next
	}
	srcInfo, err := src.clientInfo(ctx)
	if err != nil {
		return false, err
	}
	if err := usable(src, srcInfo); err != nil {
		return false, err
	}
	worked, err := r.settle(ctx, l, srcInfo, pending)
	if !r.async && worked && err == nil {
		return worked, err // one-shot: settled packets left the page; read it again
	}
	return turn(worked, err)
}

// pageSize is how many pending packets a scan reads (the query's most).
const pageSize = 1000

// deliver sends dst a MsgRecvPacket for each packet src committed (as of the
// header dst's client will hold) that dst has not received and that has not
// timed out by dst's clock.
func (r *Relayer) deliver(ctx context.Context, l *lane, dstInfo bridge.ClientInfo) (bool, error) {
	src, dst := l.src, l.dst
	tr := r.trace("deliver " + src.Name + "→" + dst.Name)
	tgt, err := proofTarget(ctx, dst, src, dstInfo)
	if err != nil {
		return false, err
	}
	tr.mark("proofTarget", tgt.height, tgt.update != nil)
	version := int64(tgt.height) - 1
	committed, next, err := src.pendingPage(ctx, version, l.next, pageSize)
	if err != nil {
		return false, err
	}
	tr.mark("pendingPage", len(committed))
	// This page is done once its packets are delivered (or left to time out): the
	// next scan reads the next page, and after the last one starts over.
	turn := func() bool {
		l.next = next
		return next != 0
	}
	if len(committed) == 0 {
		return turn(), nil
	}
	unrec, err := dst.unreceived(ctx, seqsOf(committed), 0)
	if err != nil {
		return false, err
	}
	_, dstNow, err := dst.latest(ctx)
	if err != nil {
		return false, err
	}
	tr.mark("unreceived+latest", len(unrec))
	var todo []bridge.Packet
	for _, p := range l.recv.without(committed) {
		if unrec[p.Sequence] && time.Unix(int64(p.TimeoutTimestamp), 0).After(dstNow.Add(recvMargin)) {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return turn(), nil
	}
	tgt = skipUpdate(tgt, heldTarget(dstInfo), func(held target) bool {
		// Committed as of the state the held header commits? Sequences are given
		// out in the order sends execute, so if the newest packet to deliver was,
		// every older one still pending was too: one packet to ask about. A state
		// the node no longer has just means updating.
		last := todo[len(todo)-1].Sequence
		old, _, err := src.pendingPage(ctx, int64(held.height)-1, last, 1)
		return err == nil && covers(seqsOf(old), todo[len(todo)-1:])
	})
	version = int64(tgt.height) - 1
	tr.mark("skipUpdate", tgt.update != nil)
	keys := make([][]byte, len(todo))
	for i := range todo {
		keys[i] = bridge.CommitmentKey(todo[i].SourceClient, todo[i].Sequence)
	}
	proven, err := src.proveMany(ctx, keys, version)
	if err != nil {
		return false, err
	}
	tr.mark("proveMany", len(keys))
	proofs := make([][]byte, len(todo))
	for i := range todo {
		if want := bridge.CommitPacket(&todo[i]); !bytes.Equal(proven[i].value, want) {
			return false, fmt.Errorf("%s: commitment of packet %d at %d is %X, not the packet's %X", src.Name, todo[i].Sequence, version, proven[i].value, want)
		}
		proofs[i] = proven[i].proof
	}
	var batches [][]bridge.Packet
	var txs [][]runtime.Msg
	for start := 0; start < len(todo); start += MaxBatch {
		end := min(start+MaxBatch, len(todo))
		msgs := make([]runtime.Msg, 0, end-start)
		for i := start; i < end; i++ {
			msgs = append(msgs, &bridge.MsgRecvPacket{Relayer: dst.addr, Packet: todo[i], ProofCommitment: proofs[i], ProofHeight: tgt.height})
		}
		batches, txs = append(batches, todo[start:end]), append(txs, msgs)
	}
	again := false // the page must be scanned again (sent only in part)
	finish := func(results []*client.TxResult, err error) (bool, error) {
		for i, res := range results {
			r.logBatch(src, dst, "recv", batches[i], res, tgt, i == 0 && tgt.update != nil)
		}
		sent := len(results) > 0
		if err != nil {
			again = true
			failed := batches[len(results)]
			if isCode(err, bridge.ErrAlreadyReceived) {
				// Another relayer was faster: the next scan re-filters with
				// UnreceivedPackets and sends the rest.
				r.logf("%s→%s: packets %s: already received on %s (another relayer delivered some first); re-checking what is left", src.Name, dst.Name, seqRange(failed), dst.Name)
				return true, nil
			}
			if isCode(err, bridge.ErrPacketTimedOut) {
				r.logf("%s→%s: packets %s: one timed out on %s before delivery; it will be refunded on %s", src.Name, dst.Name, seqRange(failed), dst.Name, src.Name)
				return true, nil
			}
			return sent, fmt.Errorf("%s→%s: deliver packets %s: %w", src.Name, dst.Name, seqRange(failed), err)
		}
		return sent, nil
	}
	sent, err := r.dispatch(ctx, dst, l.recv, batches, tgt.lead(), txs, finish)
	tr.mark("dispatch", len(txs), err)
	if err == nil && (r.async || !again) {
		// Under Run the next page goes out while this one's block is made; what
		// fails is found again when the scan comes round.
		turn()
	}
	return sent, err
}

// settle sends src a MsgAcknowledgement for each pending packet dst received
// (as of the header src's client will hold), and a MsgTimeout for each that dst
// had not received by a height whose block time reached its timeout.
func (r *Relayer) settle(ctx context.Context, l *lane, srcInfo bridge.ClientInfo, pending []bridge.Packet) (bool, error) {
	src, dst := l.src, l.dst
	tr := r.trace("settle " + src.Name + "→" + dst.Name)
	// Cheap check first: anything received by now, or past its timeout?
	unrecNow, err := dst.unreceived(ctx, seqsOf(pending), 0)
	if err != nil {
		return false, err
	}
	_, dstNow, err := dst.latest(ctx)
	if err != nil {
		return false, err
	}
	due := false
	for _, p := range pending {
		if !unrecNow[p.Sequence] || !time.Unix(int64(p.TimeoutTimestamp), 0).After(dstNow) {
			due = true
			break
		}
	}
	if !due {
		return false, errNotYet // in flight: received soon, so look again soon
	}
	tr.mark("due", len(pending))
	tgt, err := proofTarget(ctx, src, dst, srcInfo)
	if err != nil {
		return false, err
	}
	tr.mark("proofTarget", tgt.height, tgt.update != nil)
	version := int64(tgt.height) - 1
	unrec, err := dst.unreceived(ctx, seqsOf(pending), version)
	if err != nil {
		return false, err
	}
	// Received packets get their ack proven; the others, once past their timeout by
	// the proof header's time, the absence of their receipt.
	var recvd, late []bridge.Packet
	for _, p := range pending {
		switch {
		case !unrec[p.Sequence]:
			recvd = append(recvd, p)
		case !time.Unix(int64(p.TimeoutTimestamp), 0).After(tgt.time):
			late = append(late, p)
		}
	}
	tgt = skipUpdate(tgt, heldTarget(srcInfo), func(held target) bool {
		// Received (or, past its timeout, not received) as of the state the held
		// header commits?
		unrecHeld, err := dst.unreceived(ctx, seqsOf(pending), int64(held.height)-1)
		return err == nil && settledBy(held, unrecHeld, recvd, late)
	})
	version = int64(tgt.height) - 1
	acks, err := dst.acks(ctx, seqsOf(recvd), version)
	if err != nil {
		return false, err
	}
	keys := make([][]byte, 0, len(recvd)+len(late))
	for _, p := range recvd {
		keys = append(keys, bridge.AckKey(p.DestinationClient, p.Sequence))
	}
	for _, p := range late {
		keys = append(keys, bridge.ReceiptKey(p.DestinationClient, p.Sequence))
	}
	tr.mark("unreceived+acks", len(recvd), len(late))
	proven, err := dst.proveMany(ctx, keys, version)
	if err != nil {
		return false, err
	}
	tr.mark("proveMany", len(keys))
	built := make([]runtime.Msg, len(pending))
	at := map[uint64]int{} // sequence -> index in pending
	for i, p := range pending {
		at[p.Sequence] = i
	}
	for i, p := range recvd {
		ack := acks[p.Sequence]
		if ack == nil {
			continue // received without an ack cannot happen in this bridge; leave it
		}
		if want := bridge.CommitAcknowledgement(ack); !bytes.Equal(proven[i].value, want) {
			return false, fmt.Errorf("%s: ack commitment of packet %d at %d is %X, not the ack's %X", dst.Name, p.Sequence, version, proven[i].value, want)
		}
		built[at[p.Sequence]] = &bridge.MsgAcknowledgement{Relayer: src.addr, Packet: p, Acknowledgement: *ack, ProofAcked: proven[i].proof, ProofHeight: tgt.height}
	}
	for j, p := range late {
		kp := proven[len(recvd)+j]
		if kp.value != nil {
			continue // received after all: the ack follows
		}
		built[at[p.Sequence]] = &bridge.MsgTimeout{Relayer: src.addr, Packet: p, ProofUnreceived: kp.proof, ProofHeight: tgt.height}
	}
	var items []item
	for i, m := range built {
		if m != nil {
			items = append(items, item{pending[i], m})
		}
	}
	if len(items) == 0 {
		// Received (or timed out) by now, but not yet in a header src's client can
		// hold: dst's next block makes it provable.
		return false, errNotYet
	}
	var batches [][]item
	var txs [][]runtime.Msg
	for start := 0; start < len(items); start += MaxBatch {
		batch := items[start:min(start+MaxBatch, len(items))]
		msgs := make([]runtime.Msg, 0, len(batch))
		for _, it := range batch {
			msgs = append(msgs, it.msg)
		}
		batches, txs = append(batches, batch), append(txs, msgs)
	}
	finish := func(results []*client.TxResult, err error) (bool, error) {
		return r.settled(src, dst, tgt, batches, results, err)
	}
	sent, err := r.dispatch(ctx, src, l.settle, packetsOfBatches(batches), tgt.lead(), txs, finish)
	tr.mark("dispatch", len(txs), err)
	return sent, err
}

// item is one settlement: a packet and its MsgAcknowledgement or MsgTimeout.
type item struct {
	p   bridge.Packet
	msg runtime.Msg
}

func packetsOfBatches(batches [][]item) [][]bridge.Packet {
	out := make([][]bridge.Packet, len(batches))
	for i, b := range batches {
		out[i] = packetsOf(b, func(it item) bridge.Packet { return it.p })
	}
	return out
}

// settled logs a settlement's txs and says what its failure means.
func (r *Relayer) settled(src, dst *chain, tgt target, batches [][]item, results []*client.TxResult, err error) (bool, error) {
	for i, res := range results {
		var acks, timeouts []bridge.Packet
		for _, it := range batches[i] {
			if _, ok := it.msg.(*bridge.MsgTimeout); ok {
				timeouts = append(timeouts, it.p)
			} else {
				acks = append(acks, it.p)
			}
		}
		updated := i == 0 && tgt.update != nil
		if len(acks) > 0 {
			r.logBatch(src, dst, "ack", acks, res, tgt, updated)
		}
		if len(timeouts) > 0 {
			r.logBatch(src, dst, "timeout", timeouts, res, tgt, updated)
		}
	}
	sent := len(results) > 0
	if err != nil {
		failed := packetsOf(batches[len(results)], func(i item) bridge.Packet { return i.p })
		if isCode(err, bridge.ErrPacketNotPending) {
			r.logf("%s→%s: packets %s: already settled on %s (another relayer was first); re-checking what is left", src.Name, dst.Name, seqRange(failed), src.Name)
			return true, nil
		}
		return sent, fmt.Errorf("%s→%s: acknowledge/time out packets on %s: %w", src.Name, dst.Name, src.Name, err)
	}
	return sent, nil
}

// refresh updates holder's client of other when less than a third of its
// trusting period is left, judged by holder's block time (never this clock).
func (r *Relayer) refresh(ctx context.Context, holder, other *chain) error {
	info, err := holder.clientInfo(ctx)
	if err != nil {
		return err
	}
	if err := usable(holder, info); err != nil {
		return err
	}
	_, now, err := holder.latest(ctx)
	if err != nil {
		return err
	}
	left := time.Unix(info.ExpiresAt, 0).Sub(now)
	trusting := time.Duration(info.Client.Params.TrustingPeriodSecs) * time.Second
	if left > trusting/3 {
		return nil
	}
	tgt, err := proofTarget(ctx, holder, other, info)
	if err != nil || tgt.update == nil {
		return err
	}
	res, err := holder.send(ctx, []runtime.Msg{tgt.update})
	if err != nil {
		return fmt.Errorf("refresh client %s on %s: %w", holder.ClientID, holder.Name, err)
	}
	r.logf("%s: client %s of %s refreshed to height %d (%s of its %s trusting period was left) in tx %s at height %d",
		holder.Name, holder.ClientID, other.ChainID, tgt.height, left.Round(time.Second), trusting, res.TxHash, res.Height)
	return nil
}

// logBatch writes the one line of a batch; updated: the tx began with the client update.
func (r *Relayer) logBatch(src, dst *chain, kind string, ps []bridge.Packet, res *client.TxResult, tgt target, updated bool) {
	on := dst
	if kind != "recv" {
		on = src
	}
	upd := ""
	if updated {
		upd = fmt.Sprintf(", client %s updated to %d", on.ClientID, tgt.height)
	}
	r.metrics.relayed.WithLabelValues(on.Name, kind).Add(float64(len(ps)))
	r.logf("%s→%s %s %s (%d) on %s: tx %s height %d gas %d%s", src.Name, dst.Name, kind, seqRange(ps), len(ps), on.Name, res.TxHash, res.Height, res.GasUsed, upd)
}

func seqsOf(ps []bridge.Packet) []uint64 {
	out := make([]uint64, len(ps))
	for i, p := range ps {
		out[i] = p.Sequence
	}
	return out
}

func packetsOf[T any](xs []T, f func(T) bridge.Packet) []bridge.Packet {
	out := make([]bridge.Packet, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// seqRange renders sequences compactly: "1-3,7".
func seqRange(ps []bridge.Packet) string {
	var parts []string
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1].Sequence == ps[j].Sequence+1 {
			j++
		}
		if i == j {
			parts = append(parts, fmt.Sprint(ps[i].Sequence))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", ps[i].Sequence, ps[j].Sequence))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
