package store

import (
	"errors"

	dbm "github.com/cosmos/cosmos-db"
)

// KVStore is exactly the shape of cosmossdk.io/collections/corecompat.KVStore, so a store can be
// handed to collections directly. Get returns nil, nil for a missing key.
type KVStore interface {
	Get(key []byte) ([]byte, error)
	Has(key []byte) (bool, error)
	Set(key, value []byte) error
	Delete(key []byte) error
	Iterator(start, end []byte) (dbm.Iterator, error)
	ReverseIterator(start, end []byte) (dbm.Iterator, error)
}

var (
	// ErrEmptyKey is returned for a nil or empty key (the databases underneath reject them too).
	ErrEmptyKey = errors.New("store: key must not be empty")
	// ErrNilValue is returned by Set for a nil value; nil marks a deletion inside branches.
	ErrNilValue = errors.New("store: value must not be nil")
)

func checkKey(key []byte) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	return nil
}

// checkRange rejects empty (non-nil) bounds, which cosmos-db also rejects; nil means unbounded.
func checkRange(start, end []byte) error {
	if (start != nil && len(start) == 0) || (end != nil && len(end) == 0) {
		return ErrEmptyKey
	}
	return nil
}
