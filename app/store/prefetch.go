package store

import (
	"bytes"
	"slices"
	"sync/atomic"

	"github.com/cosmos/iavl"
)

// Prefetch loads, on another goroutine, the IAVL nodes that writing keys (store name →
// keys) into the working trees will need, so Branch.Write finds them in the node cache
// instead of reading and decoding them one by one (a 10,000-proof block spent ~60% of
// its flush in node-cache misses: docs/PERFORMANCE.md, "10,000-proof block: prefetch").
//
// It walks each key's path in the last committed version with both children of every
// node on it (what Node.clone loads), through the working tree's own node database, so
// its cache holds what was loaded. Until the next write into the working trees nothing
// changes those nodes (block execution only reads them), so the walk is safe next to it;
// every write (the root Branch.Write, Commit, Close, ...) first stops the walk and waits
// for it. It changes no state: an unknown or wrong key costs only the walk.
//
// A running prefetch is stopped first. Called from the consensus goroutine.
func (ms *MultiStore) Prefetch(keys map[string][][]byte) {
	ms.settlePrefetch()
	ms.mu.RLock()
	last, closed := ms.last.Version, ms.closed
	ms.mu.RUnlock()
	if closed || last == 0 || len(keys) == 0 {
		return
	}
	pf := &prefetch{done: make(chan struct{})}
	var jobs []func()
	for name, ks := range keys {
		i := indexOf(ms.names, name)
		if i < 0 || len(ks) == 0 {
			continue
		}
		tree := ms.trees[i]
		ks = slices.Clone(ks)
		jobs = append(jobs, func() { pf.walk(tree, last, ks) })
	}
	if len(jobs) == 0 {
		return
	}
	ms.pfMu.Lock()
	ms.pf = pf
	ms.pfMu.Unlock()
	go func() {
		defer close(pf.done)
		for _, job := range jobs {
			job()
		}
	}()
}

// settlePrefetch stops a running prefetch and waits for it: nothing may write the
// working trees while it reads their nodes.
func (ms *MultiStore) settlePrefetch() {
	ms.pfMu.Lock()
	pf := ms.pf
	ms.pf = nil
	ms.pfMu.Unlock()
	if pf != nil {
		pf.stop.Store(true)
		<-pf.done
	}
}

// prefetch is one running Prefetch.
type prefetch struct {
	stop atomic.Bool
	done chan struct{}
}

// walk loads the paths of keys in version. Keys go in descending order: the flush
// writes in ascending order, and the node LRU evicts the earliest-loaded nodes first
// when the paths hold more nodes than it does, so the first written stay cached.
func (pf *prefetch) walk(tree *iavl.MutableTree, version int64, keys [][]byte) {
	// GetImmutable shares the working tree's node database (and cache) and is safe
	// next to the working tree's reads.
	t, err := tree.GetImmutable(version)
	if err != nil || t == nil {
		return
	}
	slices.SortFunc(keys, func(a, b []byte) int { return bytes.Compare(b, a) })
	var prev []byte
	for _, k := range keys {
		if pf.stop.Load() {
			return
		}
		if prev != nil && bytes.Equal(k, prev) {
			continue
		}
		prev = k
		// The proof walks the key's path and reads both children of each node on it;
		// a key not in the tree fails after the same walk. The proof itself is dropped.
		_, _ = t.GetMembershipProof(k)
	}
}
