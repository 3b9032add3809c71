package store

import (
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/iavl"
)

// workingTree is the base of Working() branches: the live IAVL tree with its fast index, owned
// by the block-execution goroutine.
type workingTree struct{ tree *iavl.MutableTree }

var _ writableBase = (*workingTree)(nil)

func (w *workingTree) get(key []byte) ([]byte, error) { return w.tree.Get(key) }

// has uses Get, which hits the fast index, instead of walking the tree.
func (w *workingTree) has(key []byte) (bool, error) {
	v, err := w.tree.Get(key)
	return v != nil, err
}

func (w *workingTree) iterator(start, end []byte, ascending bool) (dbm.Iterator, error) {
	return w.tree.Iterator(start, end, ascending)
}

func (w *workingTree) set(key, value []byte) error {
	_, err := w.tree.Set(key, value)
	return err
}

func (w *workingTree) remove(key []byte) error {
	_, _, err := w.tree.Remove(key)
	return err
}

// versionTree is the read-only base of BranchAt branches: one committed version, loaded through
// a node database that skips the fast index (see MultiStore.readers).
type versionTree struct{ tree *iavl.ImmutableTree }

func (v *versionTree) get(key []byte) ([]byte, error) { return v.tree.Get(key) }
func (v *versionTree) has(key []byte) (bool, error)   { return v.tree.Has(key) }

func (v *versionTree) iterator(start, end []byte, ascending bool) (dbm.Iterator, error) {
	return v.tree.Iterator(start, end, ascending)
}

// emptyBase is the state before the first commit.
type emptyBase struct{}

func (emptyBase) get([]byte) ([]byte, error) { return nil, nil }
func (emptyBase) has([]byte) (bool, error)   { return false, nil }

func (emptyBase) iterator(start, end []byte, _ bool) (dbm.Iterator, error) {
	return &emptyIterator{start: start, end: end}, nil
}

type emptyIterator struct{ start, end []byte }

func (it *emptyIterator) Domain() ([]byte, []byte) { return it.start, it.end }
func (it *emptyIterator) Valid() bool               { return false }
func (it *emptyIterator) Next()                     { panic("store: Next on an invalid iterator") }
func (it *emptyIterator) Key() []byte               { panic("store: Key on an invalid iterator") }
func (it *emptyIterator) Value() []byte             { panic("store: Value on an invalid iterator") }
func (it *emptyIterator) Error() error              { return nil }
func (it *emptyIterator) Close() error              { return nil }
