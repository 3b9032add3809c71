package store

import (
	"bytes"

	dbm "github.com/cosmos/cosmos-db"
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

// cacheStore is one module's store inside a Branch: writes are buffered in key order, reads
// fall through to the parent. It is the KVStore handed to modules.
type cacheStore struct {
	parent baseStore
	buf    buffer
}

var _ KVStore = (*cacheStore)(nil)

func (c *cacheStore) Get(key []byte) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return c.get(key)
}

func (c *cacheStore) get(key []byte) ([]byte, error) {
	if e, ok := c.buf.get(key); ok {
		return e.value, nil
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
	if e, ok := c.buf.get(key); ok {
		return e.value != nil, nil
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
	c.buf.set(entry{key: kv[:len(key):len(key)], value: kv[len(key):]}, nil)
	return nil
}

func (c *cacheStore) Delete(key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	c.buf.set(entry{key: bytes.Clone(key)}, nil)
	return nil
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
	if c.buf.len() == 0 {
		return parent, nil
	}
	// Iterate a copy-on-write snapshot so writes made while iterating do not disturb it.
	return newMergeIterator(parent, c.buf.cursor(), start, end, ascending), nil
}

// flushTo applies the buffer to a working tree in key order.
func flushTo(dst writableBase, buf *buffer) error {
	var err error
	buf.scan(func(e entry) bool {
		if e.value == nil {
			err = dst.remove(e.key)
		} else {
			err = dst.set(e.key, e.value)
		}
		return err == nil
	})
	return err
}
