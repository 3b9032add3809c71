package store

import (
	"bytes"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cosmos/cosmos-db"
)

// pebbleIterator is dbm.Iterator on a pebble iterator whose bounds already are
// [start, end); once invalid it stays invalid, and Key, Value and Next then panic,
// as cosmos-db's iterators do (the dbm.Iterator contract).
type pebbleIterator struct {
	src        *pebble.Iterator
	start, end []byte
	reverse    bool
	invalid    bool
	closed     bool
}

var _ dbm.Iterator = (*pebbleIterator)(nil)

// Domain implements dbm.Iterator.
func (it *pebbleIterator) Domain() ([]byte, []byte) { return it.start, it.end }

// Valid implements dbm.Iterator.
func (it *pebbleIterator) Valid() bool {
	if it.invalid {
		return false
	}
	if it.src.Error() != nil || !it.src.Valid() {
		it.invalid = true
		return false
	}
	// pebble enforces the bounds; the check is cosmos-db's, kept for identical behaviour.
	key := it.src.Key()
	if (it.reverse && it.start != nil && bytes.Compare(key, it.start) < 0) ||
		(!it.reverse && it.end != nil && bytes.Compare(it.end, key) <= 0) {
		it.invalid = true
		return false
	}
	return true
}

// Key implements dbm.Iterator; the key is a copy.
func (it *pebbleIterator) Key() []byte {
	it.assertValid()
	return cp(it.src.Key())
}

// Value implements dbm.Iterator; the value is a copy.
func (it *pebbleIterator) Value() []byte {
	it.assertValid()
	return cp(it.src.Value())
}

// Next implements dbm.Iterator.
func (it *pebbleIterator) Next() {
	it.assertValid()
	if it.reverse {
		it.src.Prev()
	} else {
		it.src.Next()
	}
}

// Error implements dbm.Iterator.
func (it *pebbleIterator) Error() error { return it.src.Error() }

// Close implements dbm.Iterator; closing twice is a no-op.
func (it *pebbleIterator) Close() error {
	if it.closed {
		return nil
	}
	it.closed, it.invalid = true, true
	return it.src.Close()
}

func (it *pebbleIterator) assertValid() {
	if !it.Valid() {
		panic("iterator is invalid")
	}
}
