package store

import (
	"bytes"
	"slices"
	"sync/atomic"

	"github.com/cosmos/iavl"
)

// Prefetch loads, on another goroutine, the IAVL nodes that writing keys (store name →
// keys) into the working trees will load, so Branch.Write finds them in the node cache
// instead of reading and decoding them one at a time: a 10,000-proof block spent over
// half of its flush on node-cache misses (docs/PERFORMANCE.md, "10,000-proof block:
// prefetch (stop 31)").
//
// It walks each key's path in the last committed version through the working tree's own
// node database (iavl's GetImmutable shares it, and is safe next to the working tree's
// reads), so that cache holds what was loaded. Block execution only reads those nodes;
// the first write into the working trees (the root Branch.Write) waits for the walk to
// end, and Commit, Close or the next Prefetch stop it first. It changes no state: a key
// that is wrong or absent costs only its walk.
//
// Called from the consensus goroutine.
func (ms *MultiStore) Prefetch(keys map[string][][]byte) {
	ms.StopPrefetch()
	if ms.opts.NoPrefetch {
		return
	}
	ms.mu.RLock()
	last, closed := ms.last.Version, ms.closed
	ms.mu.RUnlock()
	if closed || last == 0 {
		return
	}
	type job struct {
		tree *iavl.MutableTree
		keys [][]byte
	}
	var jobs []job
	for i, name := range ms.names { // in name order: the same walk on every run
		if ks := keys[name]; len(ks) != 0 {
			jobs = append(jobs, job{ms.trees[i], slices.Clone(ks)})
		}
	}
	if len(jobs) == 0 {
		return
	}
	pf := &prefetch{done: make(chan struct{})}
	ms.pfMu.Lock()
	ms.pf = pf
	ms.pfMu.Unlock()
	go func() {
		defer close(pf.done)
		for _, j := range jobs {
			pf.walk(j.tree, last, j.keys)
		}
	}()
}

// waitPrefetch waits for a running prefetch to finish: nothing may write the working
// trees while it reads their nodes. Before a flush it is not stopped, as what is left
// of it are loads the flush would make itself, in an order that keeps the cache useful.
func (ms *MultiStore) waitPrefetch() { ms.endPrefetch(false) }

// StopPrefetch stops a running prefetch and waits for it (FinalizeBlock, before it
// executes: what the walk has not loaded yet, the flush loads itself).
func (ms *MultiStore) StopPrefetch() { ms.endPrefetch(true) }

func (ms *MultiStore) endPrefetch(stop bool) {
	ms.pfMu.Lock()
	pf := ms.pf
	ms.pf = nil
	ms.pfMu.Unlock()
	if pf != nil {
		pf.stop.Store(stop)
		<-pf.done
	}
}

// prefetch is one running Prefetch.
type prefetch struct {
	stop atomic.Bool
	done chan struct{}
}

// walk loads the paths of keys in the tree's committed version. Per key, GetWithIndex
// loads the path and GetByIndex the same path with the left child of every node on
// it, which Node.clone loads too: of a dense range of keys (x/backup's challenges)
// the flush then reads next to nothing, of scattered keys about a quarter (the right
// children of the nodes where a path turns left stay unloaded: loading them too, through
// GetMembershipProof, cost 3-4 times as much walking). Keys go in descending order: the
// flush writes in ascending order, and when the paths hold more nodes than the cache,
// its LRU keeps the last loaded, which are then the first written.
func (pf *prefetch) walk(tree *iavl.MutableTree, version int64, keys [][]byte) {
	t, err := tree.GetImmutable(version)
	if err != nil {
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
		// An absent key loads the same path and gets the index it would have.
		if i, _, err := t.GetWithIndex(k); err == nil && i < t.Size() {
			_, _, _ = t.GetByIndex(i)
		}
	}
}
