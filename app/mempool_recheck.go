package app

import (
	goruntime "runtime"
	"sync"

	"github.com/selfchain/selfchain/app/tx"
)

// noteTouched records the signers of a finalized block's txs: after Commit only
// their pending txs can have become invalid (sequence used, balance spent), so only
// they are re-checked, never the whole mempool.
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

// recheckTouched re-checks, against the state just committed at version, the
// pending txs of the accounts the block touched: txs whose sequence the block used
// are dropped, and the rest are kept in order while the account can still pay
// their fees (and they have not timed out); from the first that cannot, the
// sender's later txs go too (they would have a gap). Senders are spread over the
// cores; each is handled under its admission lock.
func (a *App) recheckTouched(version int64) {
	if a.pool == nil || len(a.touched) == 0 {
		return
	}
	senders := a.touched
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
	a.touched = a.touched[:0]
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
