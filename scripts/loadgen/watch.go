package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// blockInfo is one block seen while watching.
type blockInfo struct {
	Height     int64     `json:"height"`
	Txs        int       `json:"txs"`      // all txs in the block
	Ours       int       `json:"ours"`     // txs of this run
	SeenAt     time.Time `json:"seen_at"`  // when loadgen learnt of its commit
	HeaderTime time.Time `json:"time"`     // the block header's time
	ViaHTTP    bool      `json:"via_http"` // fetched after a missed event (SeenAt is late)
}

// watcher follows committed blocks and stamps this run's txs with their commit
// time. It subscribes to NewBlockHeader events, which CometBFT publishes once a
// block is committed, and fetches each block's txs over HTTP (NewBlock events
// would carry them too, but with every tx's result events: JSON-encoding those
// for the subscription cost the node ~10% of its CPU under load). Heights the
// subscription skipped are fetched too; without a websocket it polls /status.
// Exec results (block_results) are read after the run, outside the measured window.
//
// With deferTxs (the default) the blocks' txs are fetched only once submission
// ends: during the window each block is noted with the time its event came and
// its header time, which is all the commit latency and the window need. Serving
// /block was the node's largest cost after broadcast_tx_sync with 21 MiB blocks
// of hybrid txs (~13% of its CPU and ~30% of its allocations: the block read back
// from the store and JSON-encoded with every tx in base64), work a real chain does
// not do for its submitters.
type watcher struct {
	rpc  *rpchttp.HTTP
	set  *txSet
	det  *haltDetector
	last int64 // highest height processed (loop goroutine only)

	blocks     []blockInfo    // loop goroutine until stopped
	resolved   int            // blocks[:resolved] have their txs matched (loop goroutine)
	execFailed map[string]int // our txs committed with a non-zero code, by codespace/code

	deferTxs atomic.Bool   // fetch blocks' txs only after resolveTxs
	flush    chan struct{} // resolveTxs → loop

	nBlocks, nOurs atomic.Int64
	lastEvent      atomic.Int64 // unix nanos of the last event

	mode     string
	wsOn     bool
	stopCh   chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

const newBlockQuery = "tm.event='NewBlockHeader'"

func newWatcher(rpc *rpchttp.HTTP, set *txSet, fromHeight int64, det *haltDetector) *watcher {
	return &watcher{rpc: rpc, set: set, det: det, last: fromHeight, execFailed: map[string]int{},
		flush: make(chan struct{}, 1), stopCh: make(chan struct{}), done: make(chan struct{})}
}

// deferring reports whether blocks' txs are not fetched yet (committed counts lag).
func (w *watcher) deferring() bool { return w.deferTxs.Load() }

// resolveTxs ends deferring: the loop fetches the noted blocks' txs now.
func (w *watcher) resolveTxs() {
	if w.deferTxs.Swap(false) {
		select {
		case w.flush <- struct{}{}:
		default:
		}
	}
}

// seedDetector gives the halt detector the headers of the blocks up to height
// (up to 20 of them), so it starts with an estimate of the idle block time.
func (w *watcher) seedDetector(ctx context.Context, height int64) {
	now := time.Now()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	bi, err := w.rpc.BlockchainInfo(cctx, max(1, height-19), height)
	if err != nil {
		logf("reading recent block headers: %v (the block time estimate starts from the run's blocks)", err)
		w.det.progress(height, now)
		return
	}
	metas := bi.BlockMetas // newest first
	for i := len(metas) - 1; i >= 0; i-- {
		w.det.observe(metas[i].Header.Height, metas[i].Header.Time, now)
	}
	w.det.progress(height, now)
}

func (w *watcher) start(ctx context.Context) error {
	if err := w.rpc.Start(); err == nil {
		w.wsOn = true
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ch, err := w.rpc.Subscribe(sctx, "loadgen", newBlockQuery, 1024)
		cancel()
		if err == nil {
			w.mode = "websocket NewBlockHeader events + /block"
			if w.deferring() {
				w.mode += " after the submission phase"
			}
			w.lastEvent.Store(time.Now().UnixNano())
			go w.loopEvents(ctx, ch)
			return nil
		}
		logf("websocket subscription failed (%v): polling blocks instead", err)
	} else {
		logf("websocket client failed to start (%v): polling blocks instead", err)
	}
	w.mode = "polling /status, /block_results and /block every 50ms"
	w.deferTxs.Store(false) // polling learns of a block by fetching it
	go w.loopPoll(ctx)
	return nil
}

func (w *watcher) stop() {
	w.stopOnce.Do(func() {
		close(w.stopCh)
		<-w.done
		// Blocks still unmatched (a drain cut short): match them now, the loop is gone.
		if w.resolved < len(w.blocks) {
			rctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			w.resolvePending(rctx)
			cancel()
			if n := len(w.blocks) - w.resolved; n > 0 {
				logf("could not read the txs of %d blocks: their txs count as not committed", n)
			}
		}
		if w.wsOn {
			uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = w.rpc.UnsubscribeAll(uctx, "loadgen")
			cancel()
			_ = w.rpc.Stop()
		}
	})
}

func (w *watcher) progress() (blocks, ours int64) { return w.nBlocks.Load(), w.nOurs.Load() }

// stampedEvent is a block event with the time it arrived.
type stampedEvent struct {
	ev   ctypes.ResultEvent
	seen time.Time
}

// stampEvents takes events off the subscription as they come, on a goroutine of
// its own, so a loop busy reading blocks (resolvePending reads every noted block
// once submission ends, seconds of work) neither stamps the commits that arrive
// meanwhile late nor takes the subscription for dropped (lastEvent is their
// arrival) and reads those blocks over HTTP, late, ahead of their queued events.
func (w *watcher) stampEvents(ctx context.Context, ch <-chan ctypes.ResultEvent, stop <-chan struct{}) <-chan stampedEvent {
	out := make(chan stampedEvent, 1024)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case ev := <-ch:
				now := time.Now()
				w.lastEvent.Store(now.UnixNano())
				select {
				case out <- stampedEvent{ev, now}:
				case <-stop:
					return
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func (w *watcher) loopEvents(ctx context.Context, ch <-chan ctypes.ResultEvent) {
	defer close(w.done)
	check := time.NewTicker(2 * time.Second)
	defer check.Stop()
	events := w.stampEvents(ctx, ch, w.stopCh)
	for {
		select {
		case <-w.stopCh:
			return
		case <-ctx.Done():
			return
		case se := <-events:
			ev, seen := se.ev, se.seen
			data, ok := ev.Data.(cmttypes.EventDataNewBlockHeader)
			if !ok {
				continue
			}
			h := data.Header.Height
			if h <= w.last {
				continue
			}
			w.fill(ctx, h-1, false) // heights whose events were missed
			if w.last < h-1 {
				continue // a missed height is not readable yet: retried with the next event
			}
			w.note(h, seen, data.Header.Time, false)
			if !w.deferring() {
				w.resolvePending(ctx)
			}
		case <-w.flush:
			w.resolvePending(ctx)
		case <-check.C:
			if !w.deferring() {
				w.resolvePending(ctx) // blocks whose txs could not be read yet
			}
			// No event for a while although blocks are made: the subscription may
			// have dropped; catch up over HTTP (up to the previous height, which is
			// surely committed) until events flow again.
			if time.Since(time.Unix(0, w.lastEvent.Load())) < 3*time.Second {
				continue
			}
			if st, err := w.rpc.Status(ctx); err == nil {
				w.fill(ctx, st.SyncInfo.LatestBlockHeight-1, false)
			}
		}
	}
}

func (w *watcher) loopPoll(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-w.stopCh:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			if st, err := w.rpc.Status(ctx); err == nil {
				w.fill(ctx, st.SyncInfo.LatestBlockHeight, true)
			}
		}
	}
}

// fill fetches and processes heights last+1..to over HTTP. /status counts a block
// as soon as it is stored, before the application has executed it; with
// executed set, a height counts only once its results are stored as well.
func (w *watcher) fill(ctx context.Context, to int64, executed bool) {
	for h := w.last + 1; h <= to; h++ {
		var (
			txs     cmttypes.Txs
			hdrTime time.Time
			err     error
		)
		if !executed {
			// A missed event: the header is enough to note the block; its txs are
			// fetched with the others (resolvePending).
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			hdr, err := w.rpc.Header(cctx, &h)
			cancel()
			if err != nil {
				return // not there yet, or the node is busy: try again later
			}
			w.note(h, time.Now(), hdr.Header.Time, true)
			continue
		}
		txs, _, hdrTime, err = fetchBlockTime(ctx, w.rpc, h)
		if err != nil {
			return // not there yet, or the node is busy: try again later
		}
		w.note(h, time.Now(), hdrTime, true)
		w.match(len(w.blocks)-1, txs)
	}
}

// note records committed block h, seen at seen; its txs are matched later (match).
func (w *watcher) note(h int64, seen, hdrTime time.Time, viaHTTP bool) {
	w.last = h
	w.blocks = append(w.blocks, blockInfo{Height: h, SeenAt: seen, HeaderTime: hdrTime, ViaHTTP: viaHTTP})
	w.det.observe(h, hdrTime, seen)
	w.nBlocks.Add(1)
}

// resolvePending fetches and matches the txs of the noted blocks not matched yet,
// in order, stopping at the first that cannot be read (retried later).
func (w *watcher) resolvePending(ctx context.Context) {
	for w.resolved < len(w.blocks) {
		h := w.blocks[w.resolved].Height
		txs, _, err := fetchTxs(ctx, w.rpc, h)
		if err != nil {
			logf("block %d: %v (will retry)", h, err)
			return
		}
		w.match(w.resolved, txs)
	}
}

// match stamps the run's txs among txs, block i's, with its height and the time
// its commit was seen. Blocks are matched in order.
func (w *watcher) match(i int, txs cmttypes.Txs) {
	bi := &w.blocks[i]
	bi.Txs = len(txs)
	ns := bi.SeenAt.UnixNano()
	for _, t := range txs {
		k, ok := w.set.index[sha256.Sum256(t)]
		if !ok {
			continue
		}
		bi.Ours++
		w.set.commitAt[k] = ns
		w.set.height[k] = bi.Height
	}
	w.resolved = i + 1
	w.nOurs.Add(int64(bi.Ours))
}

// readResults records the exec result code of the run's txs from block_results
// of every block that holds some (call after stop).
func (w *watcher) readResults(ctx context.Context) error {
	for _, b := range w.blocks {
		if b.Ours == 0 {
			continue
		}
		txs, results, err := fetchBlock(ctx, w.rpc, b.Height)
		if err != nil {
			return fmt.Errorf("results of block %d: %w", b.Height, err)
		}
		for i, t := range txs {
			k, ok := w.set.index[sha256.Sum256(t)]
			if !ok || results[i] == nil || results[i].Code == 0 {
				continue
			}
			w.set.execCode[k] = results[i].Code
			w.execFailed[fmt.Sprintf("%s/%d", results[i].Codespace, results[i].Code)]++
		}
	}
	return nil
}

// waitFor returns once want txs of the run have committed, at until, or when ctx
// ends. If the chain is stalling at until (no block for a few block times), it
// waits on until a block comes or the halt monitor ends ctx: a halt near the end
// of the run must not pass for a slow drain.
func (w *watcher) waitFor(ctx context.Context, want int, until time.Time, det *haltDetector, quiet bool) {
	lastLog := time.Now()
	extended := false
	for {
		_, ours := w.progress()
		now := time.Now()
		if int(ours) >= want || ctx.Err() != nil {
			return
		}
		if now.After(until) {
			if !det.stalling(now) {
				return
			}
			if !extended {
				extended = true
				logf("drain time is up but no block for a while: waiting for the next block or a halt")
			}
		}
		if !quiet && time.Since(lastLog) >= 5*time.Second {
			lastLog = time.Now()
			logf("draining: %d of %d accepted txs committed", ours, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fetchBlock returns a committed block's txs and their results; it fails until
// the block's results are stored.
func fetchBlock(ctx context.Context, rpc *rpchttp.HTTP, h int64) (cmttypes.Txs, []*abci.ExecTxResult, error) {
	txs, results, _, err := fetchBlockTime(ctx, rpc, h)
	return txs, results, err
}

func fetchBlockTime(ctx context.Context, rpc *rpchttp.HTTP, h int64) (cmttypes.Txs, []*abci.ExecTxResult, time.Time, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	br, err := rpc.BlockResults(cctx, &h)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	txs, t, err := fetchTxs(cctx, rpc, h)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	if len(br.TxsResults) != len(txs) {
		return nil, nil, time.Time{}, fmt.Errorf("block %d: %d txs but %d results", h, len(txs), len(br.TxsResults))
	}
	return txs, br.TxsResults, t, nil
}

// fetchTxs returns the txs and header time of block h.
func fetchTxs(ctx context.Context, rpc *rpchttp.HTTP, h int64) (cmttypes.Txs, time.Time, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b, err := rpc.Block(cctx, &h)
	if err != nil {
		return nil, time.Time{}, err
	}
	return b.Block.Txs, b.Block.Time, nil
}

// appMempoolAtEnd asks the node's /app/mempool which mempool it runs and, with
// the app's, how many txs it holds: CometBFT's num_unconfirmed_txs (the report's
// MempoolAtEnd) counts only its own, always 0 with the app mempool. It returns
// ("", -1) when the node does not answer (an older node, a stopped one).
func (w *watcher) appMempoolAtEnd() (string, int) {
	if w.rpc == nil {
		return "", -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := w.rpc.ABCIQuery(ctx, "/app/mempool", nil)
	if err != nil {
		return "", -1
	}
	return parseMempoolStatus(&res.Response)
}

// parseMempoolStatus reads /app/mempool's answer (app.MempoolStatus): the
// mempool type, and the pending count when it is the app's (-1 otherwise).
func parseMempoolStatus(res *abci.ResponseQuery) (string, int) {
	var st struct {
		Type string `json:"type"`
		Txs  int    `json:"txs"`
	}
	if res.Code != 0 || json.Unmarshal(res.Value, &st) != nil || st.Type == "" {
		return "", -1
	}
	if st.Type != "app" {
		return st.Type, -1
	}
	return st.Type, st.Txs
}
