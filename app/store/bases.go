package store

import (
	"fmt"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/iavl"
)

// workingTree is the base of Working() branches: the live IAVL tree with its fast index, owned
// by the block-execution goroutine.
type workingTree struct {
	tree *iavl.MutableTree
	// writes holds the keys set (with their values, owned by the tree and never
	// modified) or removed (nil) since the last commit, when the store tracks them
	// (MultiStore.TrackWrites); nil otherwise.
	writes map[string][]byte
}

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
	if w.writes != nil {
		w.writes[string(key)] = value
	}
	_, err := w.tree.Set(key, value)
	return err
}

func (w *workingTree) remove(key []byte) error {
	if w.writes != nil {
		w.writes[string(key)] = nil
	}
	_, _, err := w.tree.Remove(key)
	return err
}

// versionTree is the read-only base of BranchAt branches: one committed version, loaded on first
// use (a query touches one store of many) through a node database that skips the fast index
// (see MultiStore.readers).
type versionTree struct {
	reader  *iavl.MutableTree
	name    string
	version int64
	tree    *iavl.ImmutableTree
}

func (v *versionTree) load() (*iavl.ImmutableTree, error) {
	if v.tree == nil {
		tree, err := v.reader.GetImmutable(v.version)
		if err != nil {
			return nil, fmt.Errorf("store: load version %d of %q: %w", v.version, v.name, err)
		}
		v.tree = tree
	}
	return v.tree, nil
}

func (v *versionTree) get(key []byte) ([]byte, error) {
	t, err := v.load()
	if err != nil {
		return nil, err
	}
	return t.Get(key)
}

func (v *versionTree) has(key []byte) (bool, error) {
	t, err := v.load()
	if err != nil {
		return false, err
	}
	return t.Has(key)
}

func (v *versionTree) iterator(start, end []byte, ascending bool) (dbm.Iterator, error) {
	t, err := v.load()
	if err != nil {
		return nil, err
	}
	return t.Iterator(start, end, ascending)
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
func (it *emptyIterator) Valid() bool              { return false }
func (it *emptyIterator) Next()                    { panic("store: Next on an invalid iterator") }
func (it *emptyIterator) Key() []byte              { panic("store: Key on an invalid iterator") }
func (it *emptyIterator) Value() []byte            { panic("store: Value on an invalid iterator") }
func (it *emptyIterator) Error() error             { return nil }
func (it *emptyIterator) Close() error             { return nil }
