package app

import (
	"github.com/selfchain/selfchain/app/tx"
)

// prefetchWrites hands the store the keys an accepted proposal's messages declare they
// will write (runtime.HasWriteKeys), whose IAVL paths it then loads on another core
// while the network votes on the block (store.MultiStore.Prefetch). FinalizeBlock stops
// a walk still running when it starts: measured on a 10,000-proof block, a walk next to
// execution cost more CPU than it saved (docs/PERFORMANCE.md, "10,000-proof block:
// prefetch (stop 31)"). It warms a cache and nothing else: no outcome depends on it.
func (a *App) prefetchWrites(txs []*tx.Tx) {
	var keys map[string][][]byte
	for _, t := range txs {
		if t != nil {
			keys = a.mm.WriteKeys(t.Msgs, keys)
		}
	}
	a.cms.Prefetch(keys)
}
