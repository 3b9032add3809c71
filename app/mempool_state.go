package app

import (
	"github.com/selfchain/selfchain/app/store"
)

// maxCommittedReads bounds the reads the app mempool's shared committed state
// remembers per version, over all stores: admission reads an account and a
// balance a sender (and a few params), so ~50,000 senders, a few tens of MB at most.
const maxCommittedReads = 100_000

// committedState is one committed version as the app mempool reads it.
type committedState struct {
	version int64
	root    *store.Branch // store.SharedAt: branch it, never write to it
}

// committedAt returns the shared read-only branch of committed version, for
// admission and the re-check to Branch. The first caller after a commit (the
// re-check, usually) builds it: trees loaded once, reads remembered, and the
// previous version's reads carried over but for the keys the block wrote; every
// other admission of that version reuses it. Before, each admission opened its own BranchAt: every store's IAVL
// root loaded again and every read a tree walk (docs/PERFORMANCE.md, "Admission
// reads the committed state once").
func (a *App) committedAt(version int64) (*store.Branch, error) {
	if s := a.committed.Load(); s != nil && s.version == version {
		return s.root, nil
	}
	a.committedMu.Lock()
	defer a.committedMu.Unlock()
	if s := a.committed.Load(); s != nil && s.version == version {
		return s.root, nil
	}
	var prev *store.Branch
	if s := a.committed.Load(); s != nil {
		prev = s.root // what it remembered carries over (store.SharedAt)
	}
	root, err := a.cms.SharedAt(version, maxCommittedReads, prev)
	if err != nil {
		return nil, err
	}
	// An admission that read the version before a commit may ask for the older
	// one after the newer is published: it gets its own, not the shared slot.
	if s := a.committed.Load(); s == nil || s.version < version {
		a.committed.Store(&committedState{version: version, root: root})
	}
	return root, nil
}
