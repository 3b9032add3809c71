package app

// Proposal backoff after a failed round. The proposal cap (mempool_budget.go)
// measures how long this node takes to execute a block, not how long the block
// takes to reach the other validators and be voted on. When a round fails —
// typically because its proposal arrived after timeout_propose on a busy network
// — the pool grows meanwhile, and the next proposer, sized by its cap and the
// block bytes alone, proposes a bigger block that arrives later still. Measured
// with four validators on two shared cores and 21 MiB blocks of hybrid txs: the
// proposals of one height grew from 27 to 122 to 220 block parts, round after
// failed round, and no block committed (docs/PERFORMANCE.md, "Hybrid keys at
// saturation (stop 31)"). 4 MiB blocks had bounded them at 64 parts.
//
// So a proposer that already saw a proposal at the height it proposes for (a
// round there failed) takes at most half of that proposal's txs; the limit stays
// for later heights and relaxes by a quarter for each height decided in its
// first round, until it reaches the cap again. PrepareProposal is the proposer's
// choice: nothing here changes what ProcessProposal accepts or the state.

// minBackoffTxs is the least a backed-off proposal may take.
const minBackoffTxs = 64

// proposalBackoff is used on the consensus connection only.
type proposalBackoff struct {
	seenHeight int64 // height of the last proposal prepared or processed here
	seenTxs    int   // its txs
	limit      int   // at most this many txs a proposal; 0: no limit
}

// room is how many txs a proposal at height may take when the cap allows capTxs.
func (b *proposalBackoff) room(height int64, capTxs int) (int, bool) {
	backedOff := false
	if b.seenHeight == height {
		n := max(b.seenTxs/2, minBackoffTxs)
		if b.limit == 0 || n < b.limit {
			b.limit = n
		}
		backedOff = true
	}
	if b.limit > 0 && b.limit < capTxs {
		return b.limit, backedOff
	}
	return capTxs, backedOff
}

// saw records a proposal of txs txs at height (prepared or processed here).
func (b *proposalBackoff) saw(height int64, txs int) {
	b.seenHeight, b.seenTxs = height, txs
}

// decided is told the round in which the previous height was decided: one
// decided in its first round relaxes the limit.
func (b *proposalBackoff) decided(round int32, capTxs int) {
	if round != 0 || b.limit == 0 {
		return
	}
	b.limit += max(b.limit/4, 1)
	if b.limit >= capTxs {
		b.limit = 0
	}
}

// proposalRoom is how many txs this node's proposal at height may take: the
// measured cap, lowered after failed rounds.
func (a *App) proposalRoom(height int64) int {
	n, backedOff := a.backoff.room(height, a.ProposalTxCap())
	if backedOff {
		a.logger.Info("a round failed at this height: proposing fewer txs", "height", height, "max_txs", n, "previous_proposal_txs", a.backoff.seenTxs)
	}
	return n
}
