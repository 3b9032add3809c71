package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Halt detection. A chain that stops committing (a consensus failure, a node
// stuck or stopped) must end the run as a failure, not as a low throughput
// figure: loadgen once reported "658 tx/s committed" for a run during which the
// chain had halted for a minute.
const (
	haltFactor    = 10              // halted: no block for more than haltFactor block times
	blockTimeMin  = time.Second     // floor of the block time estimate (so 10× is never < 10s)
	intervalsKept = 100             // the estimate is the median of this many recent intervals
	stallFactor   = 2               // "stalling": no block for more than stallFactor block times
	statusTimeout = 5 * time.Second // the /status call that confirms a suspected halt
)

// haltDetector tracks when the chain last made progress and the typical interval
// between blocks. It is fed by the block watcher (heights with header times)
// and by /status checks (heights only). Safe for concurrent use.
type haltDetector struct {
	mu     sync.Mutex
	factor int
	floor  time.Duration

	// From consecutive block headers: the last one and the intervals between them.
	hdrHeight int64
	hdrTime   time.Time
	intervals []time.Duration

	// Progress from any source: the highest height known and when it was learnt.
	height     int64
	lastHeader time.Time // header time of the last block with a known header
	progressAt time.Time
}

func newHaltDetector(factor int, floor time.Duration) *haltDetector {
	return &haltDetector{factor: factor, floor: floor}
}

// observe records a committed block, learnt of at seen.
func (d *haltDetector) observe(height int64, header, seen time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hdrHeight > 0 && height == d.hdrHeight+1 && !header.Before(d.hdrTime) {
		d.intervals = append(d.intervals, header.Sub(d.hdrTime))
		if len(d.intervals) > intervalsKept {
			d.intervals = d.intervals[len(d.intervals)-intervalsKept:]
		}
	}
	if height > d.hdrHeight {
		d.hdrHeight, d.hdrTime = height, header
	}
	if height > d.height {
		d.height, d.progressAt = height, seen
		d.lastHeader = header
	}
}

// progress records a height the node reported (e.g. by /status) at seen.
func (d *haltDetector) progress(height int64, seen time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if height > d.height {
		d.height, d.progressAt = height, seen
	}
}

// blockTime is the median interval between the blocks observed so far, at least floor.
func (d *haltDetector) blockTime() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.blockTimeLocked()
}

func (d *haltDetector) blockTimeLocked() time.Duration {
	bt := medianDuration(d.intervals)
	return max(bt, d.floor)
}

func medianDuration(v []time.Duration) time.Duration {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// haltInfo describes a halt (or a suspected one).
type haltInfo struct {
	Height        int64     `json:"height"`          // the last block committed
	LastBlockTime time.Time `json:"last_block_time"` // its header time (zero if only /status saw it)
	LastSeen      time.Time `json:"last_seen"`       // when loadgen learnt of it
	Since         float64   `json:"seconds_without_block"`
	BlockTime     float64   `json:"block_time_seconds"` // the estimate the threshold is based on
	Threshold     float64   `json:"threshold_seconds"`
	Pending       int64     `json:"pending_txs"` // txs of the run in flight or accepted and not committed
	Reason        string    `json:"reason"`
}

// check says whether, at now, the chain counts as halted: txs are pending and
// no block has been committed for more than factor block times.
func (d *haltDetector) check(now time.Time, pending int64) (haltInfo, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	bt := d.blockTimeLocked()
	thr := time.Duration(d.factor) * bt
	since := now.Sub(d.progressAt)
	info := haltInfo{Height: d.height, LastBlockTime: d.lastHeader, LastSeen: d.progressAt,
		Since: since.Seconds(), BlockTime: bt.Seconds(), Threshold: thr.Seconds(), Pending: pending}
	if d.progressAt.IsZero() || pending <= 0 {
		return info, false
	}
	return info, since > thr
}

// stalling says whether no block has come for more than stallFactor block times
// (used to keep draining until a stall either ends or becomes a halt).
func (d *haltDetector) stalling(now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.progressAt.IsZero() && now.Sub(d.progressAt) > stallFactor*d.blockTimeLocked()
}

func (h haltInfo) String() string {
	last := "unknown"
	if !h.LastBlockTime.IsZero() {
		last = h.LastBlockTime.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("HALTED at height %d: no block committed for %.1fs (> %d × %.2fs block time) with %d txs of the run pending; last block time %s; %s",
		h.Height, h.Since, haltFactor, h.BlockTime, h.Pending, last, h.Reason)
}

// haltMonitor checks the detector every second. When it suspects a halt, it asks
// the node's /status first: a higher height means the watcher is only behind
// (the node is busy answering /block), which counts as progress. Otherwise it
// records the halt and cancels the run.
type haltMonitor struct {
	det     *haltDetector
	status  func(ctx context.Context) (int64, error)
	pending func() int64
	cancel  context.CancelFunc

	mu     sync.Mutex
	halted *haltInfo
	done   chan struct{}
	stopCh chan struct{}
	once   sync.Once
}

func startHaltMonitor(ctx context.Context, det *haltDetector, status func(context.Context) (int64, error),
	pending func() int64, cancel context.CancelFunc, every time.Duration) *haltMonitor {
	m := &haltMonitor{det: det, status: status, pending: pending, cancel: cancel,
		done: make(chan struct{}), stopCh: make(chan struct{})}
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-m.stopCh:
				return
			case <-t.C:
				if m.tick(ctx, time.Now()) {
					return
				}
			}
		}
	}()
	return m
}

// tick runs one check; true once the chain is declared halted.
func (m *haltMonitor) tick(ctx context.Context, now time.Time) bool {
	info, halted := m.det.check(now, m.pending())
	if !halted {
		return false
	}
	sctx, cancel := context.WithTimeout(ctx, statusTimeout)
	h, err := m.status(sctx)
	cancel()
	switch {
	case err == nil && h > info.Height:
		m.det.progress(h, time.Now())
		logf("block watcher is behind: node at height %d, watcher at %d", h, info.Height)
		return false
	case err == nil:
		info.Reason = fmt.Sprintf("the node's /status also says height %d", h)
	case ctx.Err() != nil:
		return false // the run is ending anyway
	default:
		info.Reason = fmt.Sprintf("the node does not answer /status (%v)", err)
	}
	m.mu.Lock()
	m.halted = &info
	m.mu.Unlock()
	logf("%s", info)
	m.cancel()
	return true
}

func (m *haltMonitor) stop() {
	m.once.Do(func() {
		close(m.stopCh)
		<-m.done
	})
}

// result is the halt, or nil if there was none.
func (m *haltMonitor) result() *haltInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.halted
}
