package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
)

// broadcaster submits one tx to one node, resubmitting it on retry codes
// (retry.go's rules): over JSON-RPC (--submit rpc) or the node's tx API (api).
type broadcaster func(ctx context.Context, bz []byte, closed func() bool, retries *atomic.Int64) (*coretypes.ResultBroadcastTx, error)

func rpcBroadcaster(rpc *rpchttp.HTTP) broadcaster {
	return func(ctx context.Context, bz []byte, closed func() bool, retries *atomic.Int64) (*coretypes.ResultBroadcastTx, error) {
		return broadcastRetrying(ctx, rpc, bz, closed, retries)
	}
}

// codeCount is how often CheckTx answered one codespace/code, with one log line.
type codeCount struct {
	Count   int    `json:"count"`
	Example string `json:"example_log"`
}

type submitResult struct {
	sent, accepted int
	notSent        int                   // pre-signed but not submitted in the window
	skipped        int                   // not submitted: an earlier tx of the account failed
	retries        int                   // resubmissions after a retry code (broadcastRetrying)
	rejected       map[string]*codeCount // CheckTx code != 0, by "codespace/code"
	rpcErrors      map[string]int        // broadcast calls that failed (mempool full, timeouts, ...)
	first, last    time.Time             // first and last submission
	sendEnd        time.Time             // when the submission phase ended
}

// liveCounts are the submission's running totals that the halt monitor reads.
type liveCounts struct {
	sent   atomic.Int64 // broadcast calls begun
	failed atomic.Int64 // of those: rejected by CheckTx or failed (RPC error)
}

func (r *submitResult) rejectedTotal() int {
	n := 0
	for _, c := range r.rejected {
		n += c.Count
	}
	return n
}

var digitsRe = regexp.MustCompile(`[0-9]+`)

// errorKind shortens an RPC error to a countable key.
func errorKind(err error) string {
	msg := err.Error()
	for _, k := range []string{"mempool is full", "tx already exists in cache", "tx already seen", "connection refused", "connection reset"} {
		if strings.Contains(msg, k) {
			return k
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "deadline exceeded") || strings.Contains(msg, "Timeout") {
		return "timeout"
	}
	if i := strings.Index(msg, "RPC error"); i >= 0 {
		msg = msg[i:]
	}
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return digitsRe.ReplaceAllString(msg, "N")
}

// submit broadcasts the set in order at cfg.rate with cfg.workers concurrent
// submissions (broadcast_tx_sync or POST /txs), until all are sent or the window
// closes. Account i's txs all go to nodes[i mod len(nodes)]: another node may not
// have its previous tx yet and would refuse the next sequence.
func submit(ctx context.Context, nodes []broadcaster, cfg *config, set *txSet, w *watcher, live *liveCounts) *submitResult {
	total := len(set.txs)
	// Workers take txs from one queue in order, but an account's tx waits until
	// the call carrying its previous tx (N txs earlier) has returned: sequences then
	// reach CheckTx in order. (Without that, one slow call let the account's next
	// tx overtake it, and every later tx of the account failed with a sequence
	// mismatch.) The previous tx is normally long done, so the wait is rare.
	nAcc := set.accounts
	jobs := make(chan int, cfg.workers*2)
	done := make([]atomic.Bool, total)  // tx k's call returned, or k was skipped or dropped
	broken := make([]atomic.Bool, nAcc) // a tx of the account failed: skip its later txs
	var (
		sent, accepted, skipped atomic.Int64
		retries                 atomic.Int64
		stopped                 atomic.Bool
		mu                      sync.Mutex
		res                     = &submitResult{rejected: map[string]*codeCount{}, rpcErrors: map[string]int{}}
		wg                      sync.WaitGroup
	)
	start := time.Now()
	window := cfg.sendWindow()
	var (
		deadline  time.Time
		deadlineC <-chan time.Time // nil (never ready) without a window
	)
	if window > 0 {
		deadline = start.Add(window)
		timer := time.NewTimer(window)
		defer timer.Stop()
		deadlineC = timer.C
	}
	closed := func() bool {
		if stopped.Load() || ctx.Err() != nil {
			return true
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			stopped.Store(true)
			return true
		}
		return false
	}
	// waitPrev waits for the previous tx of k's account; false if the run ended first.
	waitPrev := func(k int) bool {
		if k < nAcc {
			return true
		}
		for !done[k-nAcc].Load() {
			if closed() {
				return false
			}
			time.Sleep(200 * time.Microsecond)
		}
		return true
	}

	for range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rejected := map[string]*codeCount{}
			rpcErrors := map[string]int{}
			for k := range jobs {
				if closed() || !waitPrev(k) {
					done[k].Store(true) // not sent: the window closed
					continue
				}
				acct := k % nAcc
				if broken[acct].Load() {
					skipped.Add(1)
					done[k].Store(true)
					continue
				}
				t0 := time.Now()
				set.submitAt[k].Store(t0.UnixNano())
				sent.Add(1)
				live.sent.Add(1)
				r, err := nodes[acct%len(nodes)](ctx, set.txs[k], closed, &retries)
				set.rtt[k] = int64(time.Since(t0))
				if err != nil || r.Code != 0 {
					broken[acct].Store(true) // before done[k]: its next tx reads it after
					live.failed.Add(1)
				}
				done[k].Store(true)
				switch {
				case err != nil:
					rpcErrors[errorKind(err)]++
				case r.Code != 0:
					key := fmt.Sprintf("%s/%d", r.Codespace, r.Code)
					c := rejected[key]
					if c == nil {
						c = &codeCount{Example: r.Log}
						rejected[key] = c
					}
					c.Count++
				default:
					accepted.Add(1)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for k, c := range rejected {
				if m := res.rejected[k]; m != nil {
					m.Count += c.Count
				} else {
					res.rejected[k] = c
				}
			}
			for k, n := range rpcErrors {
				res.rpcErrors[k] += n
			}
		}()
	}

	progressDone := make(chan struct{})
	var progressWG sync.WaitGroup
	if !cfg.quiet {
		progressWG.Add(1)
		go func() {
			defer progressWG.Done()
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-progressDone:
					return
				case <-t.C:
					s, a := sent.Load(), accepted.Load()
					blocks, ours := w.progress()
					if w.deferring() {
						logf("t=%4.0fs sent %d (%.0f/s) accepted %d; %d blocks (txs counted after the submission phase)",
							time.Since(start).Seconds(), s, float64(s)/time.Since(start).Seconds(), a, blocks)
						continue
					}
					logf("t=%4.0fs sent %d (%.0f/s) accepted %d committed %d in %d blocks",
						time.Since(start).Seconds(), s, float64(s)/time.Since(start).Seconds(), a, ours, blocks)
				}
			}
		}()
	}

	// Pacer: hand out indexes as they come due (in batches: a sleep per tx would be
	// too coarse at thousands per second).
	k := 0
pace:
	for k < total {
		now := time.Now()
		if ctx.Err() != nil || (!deadline.IsZero() && !now.Before(deadline)) {
			break
		}
		due := total
		if cfg.rate > 0 {
			due = min(total, int(now.Sub(start).Seconds()*cfg.rate)+1)
		}
		for ; k < due; k++ {
			select {
			case jobs <- k:
			case <-deadlineC:
				break pace
			case <-ctx.Done():
				break pace
			}
		}
		if k < total && cfg.rate > 0 {
			time.Sleep(time.Millisecond)
		}
	}
	if k < total {
		stopped.Store(true) // the window closed: do not send what is still queued
	}
	close(jobs)
	wg.Wait()
	close(progressDone)
	progressWG.Wait()

	res.sendEnd = time.Now()
	res.sent, res.accepted, res.skipped = int(sent.Load()), int(accepted.Load()), int(skipped.Load())
	res.retries = int(retries.Load())
	res.notSent = total - res.sent - res.skipped
	for i := range set.submitAt {
		t := set.submitAt[i].Load()
		if t == 0 {
			continue
		}
		ts := time.Unix(0, t)
		if res.first.IsZero() || ts.Before(res.first) {
			res.first = ts
		}
		if ts.After(res.last) {
			res.last = ts
		}
	}
	return res
}
