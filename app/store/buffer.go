package store

import (
	"bytes"
	"slices"

	"github.com/tidwall/btree"
)

// entry is one buffered write; a nil value is a deletion (tombstone).
type entry struct {
	key   []byte
	value []byte
}

func entryLess(a, b entry) bool { return bytes.Compare(a.key, b.key) < 0 }

// smallMax is how many entries a buffer keeps in a sorted slice before moving to a B-tree:
// transactions write a handful of keys, and a slice saves the tree's allocations.
const smallMax = 32

// buffer is the sorted write set of one store in one branch. The zero value is empty.
type buffer struct {
	small  []entry              // sorted; used while tree == nil
	shared bool                 // small's array is also held by an iterator snapshot
	tree   *btree.BTreeG[entry] // large buffers (blocks)
}

func (b *buffer) len() int {
	if b.tree != nil {
		return b.tree.Len()
	}
	return len(b.small)
}

// search returns the position of key in small and whether it is there.
func (b *buffer) search(key []byte) (int, bool) {
	return slices.BinarySearchFunc(b.small, key, func(e entry, k []byte) int { return bytes.Compare(e.key, k) })
}

func (b *buffer) get(key []byte) (entry, bool) {
	if b.tree != nil {
		return b.tree.Get(entry{key: key})
	}
	if i, ok := b.search(key); ok {
		return b.small[i], true
	}
	return entry{}, false
}

func (b *buffer) set(e entry, hint *btree.PathHint) {
	if b.tree != nil {
		b.tree.SetHint(e, hint)
		return
	}
	i, found := b.search(e.key)
	if b.shared { // copy-on-write: an iterator reads the old array
		b.small = append(make([]entry, 0, max(4, len(b.small)+1)), b.small...)
		b.shared = false
	}
	if found {
		b.small[i] = e
		return
	}
	if len(b.small) < smallMax {
		if b.small == nil {
			b.small = make([]entry, 0, 4) // skip the 1- and 2-entry growth steps
		}
		b.small = slices.Insert(b.small, i, e)
		return
	}
	b.tree = btree.NewBTreeGOptions(entryLess, btree.Options{NoLocks: true}) // single goroutine
	for _, s := range b.small {
		b.tree.Load(s) // sorted appends are cheap
	}
	b.small, b.shared = nil, false
	b.tree.Set(e)
}

// scan calls fn on every entry in key order until it returns false.
func (b *buffer) scan(fn func(entry) bool) {
	if b.tree != nil {
		b.tree.Scan(fn)
		return
	}
	for _, e := range b.small {
		if !fn(e) {
			return
		}
	}
}

// absorb merges child's entries over b's; child must not be used afterwards.
func (b *buffer) absorb(child *buffer) {
	if b.len() == 0 {
		*b = *child
		return
	}
	var hint btree.PathHint // child keys arrive in order
	child.scan(func(e entry) bool {
		b.set(e, &hint)
		return true
	})
}

// cursor iterates a snapshot of a buffer; writes to the buffer do not affect it.
func (b *buffer) cursor() *cursor {
	if b.tree != nil {
		return &cursor{it: b.tree.Copy().Iter(), isTree: true}
	}
	b.shared = true
	return &cursor{small: b.small}
}

// cursor is a position in a buffer snapshot, for either representation.
type cursor struct {
	small  []entry
	i      int
	it     btree.IterG[entry]
	isTree bool
}

func (c *cursor) first() bool {
	if c.isTree {
		return c.it.First()
	}
	c.i = 0
	return len(c.small) > 0
}

func (c *cursor) last() bool {
	if c.isTree {
		return c.it.Last()
	}
	c.i = len(c.small) - 1
	return c.i >= 0
}

// seek moves to the first entry >= key.
func (c *cursor) seek(key []byte) bool {
	if c.isTree {
		return c.it.Seek(entry{key: key})
	}
	c.i, _ = slices.BinarySearchFunc(c.small, key, func(e entry, k []byte) int { return bytes.Compare(e.key, k) })
	return c.i < len(c.small)
}

func (c *cursor) next() bool {
	if c.isTree {
		return c.it.Next()
	}
	c.i++
	return c.i < len(c.small)
}

func (c *cursor) prev() bool {
	if c.isTree {
		return c.it.Prev()
	}
	c.i--
	return c.i >= 0
}

func (c *cursor) item() entry {
	if c.isTree {
		return c.it.Item()
	}
	return c.small[c.i]
}

func (c *cursor) release() {
	if c.isTree {
		c.it.Release()
	}
	c.small = nil
}
