package store

import (
	"bytes"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/tidwall/btree"
)

// baseStore is what a cacheStore reads through to: another cacheStore, a working IAVL tree or
// a committed version.
type baseStore interface {
	get(key []byte) ([]byte, error)
	has(key []byte) (bool, error)
	iterator(start, end []byte, ascending bool) (dbm.Iterator, error)
}

// writableBase is a base that a root branch can flush into (the working trees).
type writableBase interface {
	baseStore
	set(key, value []byte) error
	remove(key []byte) error
}

// entry is one buffered write; a nil value is a deletion (tombstone).
type entry struct {
	key   []byte
	value []byte
}

func entryLess(a, b entry) bool { return bytes.Compare(a.key, b.key) < 0 }

// newBuffer makes a sorted write buffer; a Branch is single-goroutine so it needs no locks.
func newBuffer() *btree.BTreeG[entry] {
	return btree.NewBTreeGOptions(entryLess, btree.Options{NoLocks: true})
}

// cacheStore is one module's store inside a Branch: writes are buffered in key order, reads
// fall through to the parent. It is the KVStore handed to modules.
type cacheStore struct {
	parent baseStore
	buf    *btree.BTreeG[entry] // nil until the first write
}

var _ KVStore = (*cacheStore)(nil)

func (c *cacheStore) Get(key []byte) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return c.get(key)
}

func (c *cacheStore) get(key []byte) ([]byte, error) {
	if c.buf != nil {
		if e, ok := c.buf.Get(entry{key: key}); ok {
			return e.value, nil
		}
	}
	return c.parent.get(key)
}

func (c *cacheStore) Has(key []byte) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	return c.has(key)
}

func (c *cacheStore) has(key []byte) (bool, error) {
	if c.buf != nil {
		if e, ok := c.buf.Get(entry{key: key}); ok {
			return e.value != nil, nil
		}
	}
	return c.parent.has(key)
}

// Set copies key and value (callers reuse buffers) into a single allocation.
func (c *cacheStore) Set(key, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if value == nil {
		return ErrNilValue
	}
	kv := make([]byte, len(key)+len(value))
	copy(kv, key)
	copy(kv[len(key):], value)
	c.put(entry{key: kv[:len(key):len(key)], value: kv[len(key):]})
	return nil
}

func (c *cacheStore) Delete(key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	c.put(entry{key: bytes.Clone(key)})
	return nil
}

func (c *cacheStore) put(e entry) {
	if c.buf == nil {
		c.buf = newBuffer()
	}
	c.buf.Set(e)
}

func (c *cacheStore) Iterator(start, end []byte) (dbm.Iterator, error) {
	if err := checkRange(start, end); err != nil {
		return nil, err
	}
	return c.iterator(start, end, true)
}

func (c *cacheStore) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	if err := checkRange(start, end); err != nil {
		return nil, err
	}
	return c.iterator(start, end, false)
}

func (c *cacheStore) iterator(start, end []byte, ascending bool) (dbm.Iterator, error) {
	parent, err := c.parent.iterator(start, end, ascending)
	if err != nil {
		return nil, err
	}
	if c.buf == nil || c.buf.Len() == 0 {
		return parent, nil
	}
	// Iterate a copy-on-write snapshot so writes made while iterating do not disturb it.
	return newMergeIterator(parent, c.buf.Copy(), start, end, ascending), nil
}

// absorb takes over the writes of a child buffer; the child must not use buf afterwards.
func (c *cacheStore) absorb(buf *btree.BTreeG[entry]) {
	if c.buf == nil || c.buf.Len() == 0 {
		c.buf = buf
		return
	}
	var hint btree.PathHint // the child's keys arrive in order, so hinted inserts are cheap
	buf.Scan(func(e entry) bool {
		c.buf.SetHint(e, &hint)
		return true
	})
}

// flushTo applies the buffer to a working tree in key order.
func flushTo(dst writableBase, buf *btree.BTreeG[entry]) error {
	var err error
	buf.Scan(func(e entry) bool {
		if e.value == nil {
			err = dst.remove(e.key)
		} else {
			err = dst.set(e.key, e.value)
		}
		return err == nil
	})
	return err
}
