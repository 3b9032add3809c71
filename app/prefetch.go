package app

import (
	"bytes"

	"github.com/selfchain/selfchain/app/tx"
)

// prefetchWrites hands the store the keys a block's messages declare they will write
// (runtime.HasWriteKeys), whose IAVL paths it then loads on another core while the
// block waits for its decision and executes (store.MultiStore.Prefetch). ProcessProposal
// starts it hundreds of ms before FinalizeBlock on a node; FinalizeBlock starts it
// only for a block whose proposal it did not see (the proposer's own, a replay). It
// warms a cache and nothing else: no outcome depends on it.
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
