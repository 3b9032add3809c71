package store

import (
	"fmt"
)

// inlineStores covers the usual number of modules without a separate allocation per branch.
const inlineStores = 16

// Branch is a write-buffered view of every store. Reads fall through to the parent, writes are
// buffered until Write. Per-store caches live inline in the Branch and are wired to their
// parent on first use, so creating a branch is a single allocation. A Branch is not safe for
// concurrent use.
type Branch struct {
	names    []string // sorted; shared with the MultiStore, never modified
	parent   *Branch  // nested branches write into their parent's caches
	bases    []baseStore
	writable bool  // root branches: whether the bases accept writes (working trees)
	version  int64 // root BranchAt branches: the committed version read, for errors
	// beforeWrite runs before a root branch writes the working trees (waits for a Prefetch).
	beforeWrite func()
	caches      []cacheStore // caches[i].parent == nil until store i is first used
	inline      [inlineStores]cacheStore
}

func newRootBranch(names []string, bases []baseStore, writable bool, version int64) *Branch {
	b := &Branch{names: names, bases: bases, writable: writable, version: version}
	b.initCaches()
	return b
}

func (b *Branch) initCaches() {
	if n := len(b.names); n <= inlineStores {
		b.caches = b.inline[:n:n]
	} else {
		b.caches = make([]cacheStore, n)
	}
}

// Store returns the KVStore of module name in this branch. An unknown name is a programming
// error and panics.
func (b *Branch) Store(name string) KVStore {
	i := indexOf(b.names, name)
	if i < 0 {
		panic(fmt.Sprintf("store: unknown store %q", name))
	}
	return b.cache(i)
}

func (b *Branch) cache(i int) *cacheStore {
	c := &b.caches[i]
	if c.parent == nil {
		if b.parent != nil {
			c.parent = b.parent.cache(i)
		} else {
			c.parent = b.bases[i]
		}
	}
	return c
}

// Branch returns a nested branch whose Write applies to b.
func (b *Branch) Branch() *Branch {
	c := &Branch{names: b.names, parent: b, writable: true}
	c.initCaches()
	return c
}

// Discard drops b's buffered writes. b stays a branch of the same parent, as after
// Write: the block path reuses one pair of tx branches for every tx of a block
// instead of allocating two (~1 KB each) per tx.
func (b *Branch) Discard() {
	for i := range b.caches {
		b.caches[i].buf = buffer{}
	}
}

// Write flushes the buffered writes into the parent, each store's in key order; the branch is
// then empty and reusable. Root branches of BranchAt have no writable parent and return an
// error. Iterators opened on b or its parent should be closed first: on a root branch the
// IAVL trees change underneath them.
func (b *Branch) Write() error {
	if !b.writable {
		return fmt.Errorf("store: branch at committed version %d is read-only", b.version)
	}
	if b.parent != nil {
		for i := range b.caches {
			c := &b.caches[i]
			if c.buf.len() == 0 {
				continue
			}
			buf := c.buf
			c.buf = buffer{}
			b.parent.cache(i).buf.absorb(&buf)
		}
		return nil
	}
	// Root branch over the working trees: each tree gets its writes in key order; the trees
	// are independent, so they are updated in parallel.
	if b.beforeWrite != nil {
		b.beforeWrite()
	}
	var dirty []int
	for i := range b.caches {
		if b.caches[i].buf.len() != 0 {
			dirty = append(dirty, i)
		}
	}
	return forEach(dirty, func(i int) error {
		c := &b.caches[i]
		buf := c.buf
		c.buf = buffer{}
		if err := flushTo(b.bases[i].(writableBase), &buf); err != nil {
			return fmt.Errorf("store: write %q: %w", b.names[i], err)
		}
		return nil
	})
}

// indexOf finds name in the sorted names, or -1.
func indexOf(names []string, name string) int {
	lo, hi := 0, len(names)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if names[m] < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(names) && names[lo] == name {
		return lo
	}
	return -1
}
