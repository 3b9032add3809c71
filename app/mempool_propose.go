package app

import (
	"github.com/selfchain/selfchain/app/mempool"
)

// maxProposalSkips bounds how many pending txs one proposal may pass over (too
// large for the room left, over the gas left, timed out) before it stops looking.
const maxProposalSkips = 10_000

// proposeFromPool appends the app mempool's best txs to out: highest fee priority
// first, each sender's in sequence order, within maxTxBytes (counted as CometBFT
// counts them, size already used) and the block gas limit — the rules
// ProcessProposal enforces, so the proposal is accepted. A sender whose next tx
// does not fit is left out for this block (its later txs would have a gap). It
// takes at most ProposalTxCap txs, so that the block executes in about
// app.toml mempool.block-time here (mempool_budget.go).
func (a *App) proposeFromPool(out [][]byte, height, size, maxTxBytes int64, gas *blockGas) [][]byte {
	// Until the last block's re-check ends the pool may hold txs that block used
	// or left unpayable: proposed, they would fail.
	a.waitRecheck()
	var expired [][32]byte
	skips := 0
	room := a.ProposalTxCap()
	capped := false // a tx was left out for the cap alone
	a.pool.Select(func(p *mempool.Tx) mempool.Verdict {
		if maxTxBytes-size < minTxBlockBytes || skips > maxProposalSkips {
			return mempool.Stop
		}
		if room == 0 {
			capped = true
			return mempool.Stop
		}
		if h := p.Tx.Body.TimeoutHeight; h > 0 && uint64(height) > h {
			expired = append(expired, p.Tx.Hash)
			skips++
			return mempool.SkipSender
		}
		n := txBlockBytes(p.Bytes)
		if size+n > maxTxBytes || !gas.add(p.Tx) {
			skips++
			return mempool.SkipSender
		}
		size += n
		room--
		out = append(out, p.Bytes)
		if len(a.decoded) < maxDecodedCache {
			a.decoded[p.Tx.Hash] = p.Tx // ProcessProposal and FinalizeBlock reuse it
		}
		return mempool.Take
	})
	if capped {
		metricProposalsCapped.Inc()
	}
	for _, h := range expired {
		a.pool.Remove(h)
	}
	return out
}

// minTxBlockBytes is below the smallest signed tx: with less room left, stop.
const minTxBlockBytes = 64
