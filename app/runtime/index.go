package runtime

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
)

// Secondary indexes for collections.IndexedMap, kept by the map itself: a
// module declares the index once and every Set and Remove of the primary map
// updates it. They differ from collections/indexes.Unique and Multi in two
// ways that matter on a chain:
//
//   - An update that leaves a record's index key unchanged writes nothing to
//     the index. The stock indexes remove and re-set the entry on every Set;
//     the store then rewrites an identical IAVL leaf (a new node version, so a
//     different app hash) and pays a write, for records updated every block
//     (validators) or every tx (grant counters). These read one index key
//     instead, and decode the old record only when the key may have moved.
//   - The index's storage is a collection the module builds (its prefix, key
//     and value codecs), so a hand-kept index becomes an IndexedMap's index
//     with the same stored bytes, and a Multi index may store a non-empty
//     marker value (ICS-23 proofs need one).
//
// Both implement collections.Index; list them in the IndexedMap's Indexes type.

// UniqueIndex maps a reference key, derived from each record, to the record's
// primary key: at most one record per reference key (a second is refused with
// collections.ErrConflict).
type UniqueIndex[R, PK, V any] struct {
	refs  collections.Map[R, PK]
	refOf func(PK, V) (R, error)
	equal func(a, b PK) bool
}

// NewUniqueIndex indexes records by refOf(pk, value) in refs; equal compares
// primary keys.
func NewUniqueIndex[R, PK, V any](refs collections.Map[R, PK], equal func(a, b PK) bool, refOf func(PK, V) (R, error)) *UniqueIndex[R, PK, V] {
	return &UniqueIndex[R, PK, V]{refs: refs, refOf: refOf, equal: equal}
}

// Reference implements collections.Index.
func (i *UniqueIndex[R, PK, V]) Reference(ctx context.Context, pk PK, v V, lazyOld func() (V, error)) error {
	ref, err := i.refOf(pk, v)
	if err != nil {
		return err
	}
	cur, err := i.refs.Get(ctx, ref)
	switch {
	case err == nil && i.equal(cur, pk):
		return nil // the record keeps its reference key: nothing to write
	case err == nil:
		return fmt.Errorf("%w: index %s: %s already names another record", collections.ErrConflict,
			i.refs.GetName(), i.refs.KeyCodec().Stringify(ref))
	case !errors.Is(err, collections.ErrNotFound):
		return err
	}
	if err := i.unreference(ctx, pk, lazyOld); err != nil {
		return err
	}
	return i.refs.Set(ctx, ref, pk)
}

// Unreference implements collections.Index.
func (i *UniqueIndex[R, PK, V]) Unreference(ctx context.Context, pk PK, getValue func() (V, error)) error {
	return i.unreference(ctx, pk, getValue)
}

// unreference removes the entry of pk's stored record, if there is one.
func (i *UniqueIndex[R, PK, V]) unreference(ctx context.Context, pk PK, getValue func() (V, error)) error {
	old, err := getValue()
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ref, err := i.refOf(pk, old)
	if err != nil {
		return err
	}
	return i.refs.Remove(ctx, ref)
}

// MatchExact returns the primary key of the record whose reference key is ref
// (collections.ErrNotFound if none).
func (i *UniqueIndex[R, PK, V]) MatchExact(ctx context.Context, ref R) (PK, error) {
	return i.refs.Get(ctx, ref)
}

// MultiIndex stores one key per record, keyOf(pk, value), with a constant
// value (marker). keyOf must contain the primary key (two records never share
// an index key), as (reference, primary key) does: then an index key that is
// present already belongs to this record, and Reference can skip the write.
type MultiIndex[IK, PK, V, M any] struct {
	keys   collections.Map[IK, M]
	marker M
	keyOf  func(PK, V) (IK, error)
}

// NewMultiIndex indexes records under keyOf(pk, value) in keys, each with the
// value marker.
func NewMultiIndex[IK, PK, V, M any](keys collections.Map[IK, M], marker M, keyOf func(PK, V) (IK, error)) *MultiIndex[IK, PK, V, M] {
	return &MultiIndex[IK, PK, V, M]{keys: keys, marker: marker, keyOf: keyOf}
}

// Reference implements collections.Index.
func (i *MultiIndex[IK, PK, V, M]) Reference(ctx context.Context, pk PK, v V, lazyOld func() (V, error)) error {
	ik, err := i.keyOf(pk, v)
	if err != nil {
		return err
	}
	has, err := i.keys.Has(ctx, ik)
	if err != nil || has {
		return err // present: the record keeps its index key
	}
	if err := i.unreference(ctx, pk, lazyOld); err != nil {
		return err
	}
	return i.keys.Set(ctx, ik, i.marker)
}

// Unreference implements collections.Index.
func (i *MultiIndex[IK, PK, V, M]) Unreference(ctx context.Context, pk PK, getValue func() (V, error)) error {
	return i.unreference(ctx, pk, getValue)
}

func (i *MultiIndex[IK, PK, V, M]) unreference(ctx context.Context, pk PK, getValue func() (V, error)) error {
	old, err := getValue()
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ik, err := i.keyOf(pk, old)
	if err != nil {
		return err
	}
	return i.keys.Remove(ctx, ik)
}
