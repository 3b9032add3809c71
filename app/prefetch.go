package app

import (
	"bytes"

	"github.com/selfchain/selfchain/app/tx"
)

// prefetchWrites hands the store the keys a block's messages declare they will write
// (runtime.HasWriteKeys), whose IAVL paths it then loads on another core
// (store.MultiStore.Prefetch). ProcessProposal starts it, so on a node it runs while
// the validators vote on the block; FinalizeBlock starts it only for a block whose
// proposal it did not see (a replay, a proposer that skipped the check), and then it
// overlaps execution. It warms a cache and nothing else: no outcome depends on it.
func (a *App) prefetchWrites(hash []byte, txs []*tx.Tx) {
	if len(hash) != 0 && bytes.Equal(hash, a.prefetched) {
		return // ProcessProposal already started this block's
	}
	var keys map[string][][]byte
	for _, t := range txs {
		if t != nil {
			keys = a.mm.WriteKeys(t.Msgs, keys)
		}
	}
	a.prefetched = bytes.Clone(hash)
	a.cms.Prefetch(keys)
}
