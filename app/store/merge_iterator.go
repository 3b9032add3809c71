package store

import (
	"bytes"

	dbm "github.com/cosmos/cosmos-db"
)

// mergeIterator walks a parent iterator and a snapshot of a branch buffer together, in either
// direction: buffered entries shadow the parent's, and tombstones hide keys.
type mergeIterator struct {
	parent     dbm.Iterator
	cache      *cursor
	cacheValid bool
	start, end []byte
	ascending  bool
	valid      bool
	fromCache  bool // the current item is the cache's
}

var _ dbm.Iterator = (*mergeIterator)(nil)

func newMergeIterator(parent dbm.Iterator, cache *cursor, start, end []byte, ascending bool) *mergeIterator {
	it := &mergeIterator{parent: parent, cache: cache, start: start, end: end, ascending: ascending}
	var ok bool
	switch {
	case ascending && start == nil:
		ok = cache.first()
	case ascending:
		ok = cache.seek(start)
	case end == nil:
		ok = cache.last()
	case cache.seek(end): // first item >= end: step back below it
		ok = cache.prev()
	default: // every item is below end
		ok = cache.last()
	}
	it.cacheValid = ok && it.cacheInRange()
	it.settle()
	return it
}

func (it *mergeIterator) cacheInRange() bool {
	k := it.cache.item().key
	if it.ascending {
		return it.end == nil || bytes.Compare(k, it.end) < 0
	}
	return it.start == nil || bytes.Compare(k, it.start) >= 0
}

func (it *mergeIterator) advanceCache() {
	var ok bool
	if it.ascending {
		ok = it.cache.next()
	} else {
		ok = it.cache.prev()
	}
	it.cacheValid = ok && it.cacheInRange()
}

// settle positions on the next visible item at or after the current positions.
func (it *mergeIterator) settle() {
	for {
		pv := it.parent.Valid()
		if !it.cacheValid {
			it.valid, it.fromCache = pv, false
			return
		}
		ce := it.cache.item()
		cmp := -1 // parent exhausted: the cache item comes first
		if pv {
			cmp = bytes.Compare(ce.key, it.parent.Key())
			if !it.ascending {
				cmp = -cmp
			}
		}
		switch {
		case cmp > 0: // parent's key comes first
			it.valid, it.fromCache = true, false
			return
		case cmp == 0: // the buffer shadows the parent's value
			it.parent.Next()
		}
		if ce.value == nil {
			it.advanceCache()
			continue
		}
		it.valid, it.fromCache = true, true
		return
	}
}

func (it *mergeIterator) Domain() ([]byte, []byte) { return it.start, it.end }
func (it *mergeIterator) Valid() bool              { return it.valid }

func (it *mergeIterator) Next() {
	if !it.valid {
		panic("store: Next on an invalid iterator")
	}
	if it.fromCache {
		it.advanceCache()
	} else {
		it.parent.Next()
	}
	it.settle()
}

func (it *mergeIterator) Key() []byte {
	if !it.valid {
		panic("store: Key on an invalid iterator")
	}
	if it.fromCache {
		return it.cache.item().key
	}
	return it.parent.Key()
}

func (it *mergeIterator) Value() []byte {
	if !it.valid {
		panic("store: Value on an invalid iterator")
	}
	if it.fromCache {
		return it.cache.item().value
	}
	return it.parent.Value()
}

func (it *mergeIterator) Error() error { return it.parent.Error() }

func (it *mergeIterator) Close() error {
	it.cache.release()
	it.valid = false
	return it.parent.Close()
}
