package app

import (
	goruntime "runtime"
	"sync"
	"time"

	"github.com/selfchain/selfchain/app/tx"
)

// noteTouched records the signers of a finalized block's txs: after Commit only
// their pending txs can have become invalid (sequence used, balance spent), so only
// they are re-checked, never the whole mempool. FinalizeBlock calls it after
// waitRecheck: the previous block's re-check reads the slice until it ends.
func (a *App) noteTouched(txs []*tx.Tx) {
	if a.pool == nil {
		return
	}
	a.touched = a.touched[:0]
	seen := make(map[string]struct{}, len(txs))
	for _, t := range txs {
		if t == nil {
			continue
		}
		s := string(t.Signer)
		if _, ok := seen[s]; !ok {
			seen[s] = struct{}{}
			a.touched = append(a.touched, s)
		}
	}
}

// recheckRun is one block's re-check, running after its Commit returned.
type recheckRun struct {
	done chan struct{} // closed when the pool is re-checked
}

// startRecheck re-checks, against the state just committed at version, the
// pending txs of the accounts the block touched, on goroutines of its own, and
// returns at once. CometBFT fires the block's events (what clients see as
// "committed") only after Commit returns, so the re-check (20–40 ms a block at
// saturation) is kept off that path. Until it ends the pool may still hold txs
// the block used or made unpayable: whatever must not see them — a proposal, the
// next block's noteTouched, Close — calls waitRecheck first. Admission may run
// alongside: it reads the new version under the sender's lock, which the re-check
// takes too, and Pool.View and Pool.Insert skip a sender's stale sequences.
//
// It also builds the shared root of version (committedAt) before any sender is
// looked at, off Commit's path, so that admissions after the commit find it built.
// Admission keeps one core fewer until the re-check ends (budget.settled).
func (a *App) startRecheck(version int64) {
	if a.pool == nil {
		a.budget.settled()
		return
	}
	a.waitRecheck() // never two at once: a sender re-checked at an older version after a newer one would keep stale txs
	run := &recheckRun{done: make(chan struct{})}
	a.recheck.Store(run)
	senders := a.touched // noteTouched reuses it only after waitRecheck
	go func() {
		defer close(run.done)
		defer a.budget.settled()
		start := time.Now()
		_, _ = a.committedAt(version) // an error is met again, and handled, per sender
		a.recheckTouched(senders, version)
		metricRecheck.Observe(time.Since(start).Seconds())
	}()
}

// waitRecheck returns once the re-check the last Commit started has ended
// (at once if none is under way). Safe from any goroutine.
func (a *App) waitRecheck() {
	run := a.recheck.Load()
	if run == nil {
		return
	}
	select {
	case <-run.done:
		return
	default:
	}
	start := time.Now()
	<-run.done
	metricRecheckWait.Add(time.Since(start).Seconds())
}

// recheckTouched re-checks senders' pending txs against version: txs whose
// sequence the block used are dropped, and the rest are kept in order while the
// account can still pay their fees (and they have not timed out); from the first
// that cannot, the sender's later txs go too (they would have a gap). Senders are
// spread over the cores; each is handled under its admission lock.
func (a *App) recheckTouched(senders []string, version int64) {
	if len(senders) == 0 {
		return
	}
	workers := min(goruntime.GOMAXPROCS(0), len(senders))
	var wg sync.WaitGroup
	var mu sync.Mutex
	dropped := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			n := 0
			for i := w; i < len(senders); i += workers {
				n += a.recheckSender(senders[i], version)
			}
			mu.Lock()
			dropped += n
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	metricMempoolDropped.Add(float64(dropped))
	count, _ := a.pool.Size()
	metricMempoolSize.Set(float64(count))
}

func (a *App) recheckSender(sender string, version int64) int {
	lock := a.pool.SenderLock(sender)
	lock.Lock()
	defer lock.Unlock()
	root, err := a.committedAt(version)
	if err != nil {
		return 0 // keep them; the next block's re-check or FinalizeBlock judges them
	}
	ctx := a.mempoolContext(root.Branch(), version)
	acc, found, err := a.AuthKeeper.GetAccount(ctx, []byte(sender))
	if err != nil {
		return 0
	}
	if !found {
		return a.pool.Retain(sender, 0, 0)
	}
	pending := a.pool.Pending(sender, acc.Sequence)
	keep := 0
	for _, p := range pending {
		if h := p.Tx.Body.TimeoutHeight; h > 0 && uint64(version+1) > h {
			break
		}
		if err := a.BankKeeper.DeductFee(ctx, p.Tx.Signer, p.Tx.Fee()); err != nil {
			break
		}
		keep++
	}
	return a.pool.Retain(sender, acc.Sequence, keep)
}
