package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/corecompat"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
)

// recStore is a map store that logs every write, to check what an index writes.
type recStore struct {
	kv     map[string][]byte
	writes []string // "set <key>" / "del <key>"
}

func (s *recStore) Get(k []byte) ([]byte, error) { return s.kv[string(k)], nil }
func (s *recStore) Has(k []byte) (bool, error) {
	_, ok := s.kv[string(k)]
	return ok, nil
}
func (s *recStore) Set(k, v []byte) error {
	s.kv[string(k)] = bytes.Clone(v)
	s.writes = append(s.writes, "set "+string(k))
	return nil
}
func (s *recStore) Delete(k []byte) error {
	delete(s.kv, string(k))
	s.writes = append(s.writes, "del "+string(k))
	return nil
}
func (s *recStore) Iterator(_, _ []byte) (corecompat.Iterator, error) {
	return nil, errors.New("not needed")
}
func (s *recStore) ReverseIterator(_, _ []byte) (corecompat.Iterator, error) {
	return nil, errors.New("not needed")
}

type recService struct{ s *recStore }

func (r recService) OpenKVStore(context.Context) corecompat.KVStore { return r.s }

// rec is a record indexed by its name (unique) and its group (multi).
type rec struct{ Name, Group string }

type recValue struct{}

func (recValue) Encode(r rec) ([]byte, error) { return []byte(r.Name + "|" + r.Group), nil }
func (recValue) Decode(b []byte) (rec, error) {
	i := bytes.IndexByte(b, '|')
	return rec{Name: string(b[:i]), Group: string(b[i+1:])}, nil
}
func (recValue) EncodeJSON(r rec) ([]byte, error) { return nil, nil }
func (recValue) DecodeJSON(b []byte) (rec, error) { return rec{}, nil }
func (recValue) Stringify(r rec) string           { return r.Name }
func (recValue) ValueType() string                { return "rec" }

type recIndexes struct {
	ByName  *runtime.UniqueIndex[string, uint64, rec]
	ByGroup *runtime.MultiIndex[collections.Pair[string, uint64], uint64, rec, bool]
}

func (i recIndexes) IndexesList() []collections.Index[uint64, rec] {
	return []collections.Index[uint64, rec]{i.ByName, i.ByGroup}
}

func newRecMap(t *testing.T) (*collections.IndexedMap[uint64, rec, recIndexes], *recStore) {
	st := &recStore{kv: map[string][]byte{}}
	sb := collections.NewSchemaBuilder(recService{st})
	byName := collections.NewMap(sb, collections.NewPrefix(2), "by_name", collections.StringKey, collections.Uint64Value)
	byGroup := collections.NewMap(sb, collections.NewPrefix(3), "by_group",
		collections.PairKeyCodec(collections.StringKey, collections.Uint64Key), collections.BoolValue)
	m := collections.NewIndexedMap(sb, collections.NewPrefix(1), "recs", collections.Uint64Key, recValue{}, recIndexes{
		ByName: runtime.NewUniqueIndex(byName, func(a, b uint64) bool { return a == b },
			func(_ uint64, r rec) (string, error) { return r.Name, nil }),
		ByGroup: runtime.NewMultiIndex(byGroup, true, func(pk uint64, r rec) (collections.Pair[string, uint64], error) {
			return collections.Join(r.Group, pk), nil
		}),
	})
	_, err := sb.Build()
	require.NoError(t, err)
	return m, st
}

func TestIndexesWriteOnlyWhatChanges(t *testing.T) {
	m, st := newRecMap(t)
	ctx := context.Background()
	primary := func(pk uint64) string {
		b, err := collections.EncodeKeyWithPrefix(collections.NewPrefix(1), collections.Uint64Key, pk)
		require.NoError(t, err)
		return string(b)
	}
	name := func(n string) string {
		b, err := collections.EncodeKeyWithPrefix(collections.NewPrefix(2), collections.StringKey, n)
		require.NoError(t, err)
		return string(b)
	}
	group := func(g string, pk uint64) string {
		b, err := collections.EncodeKeyWithPrefix(collections.NewPrefix(3),
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key), collections.Join(g, pk))
		require.NoError(t, err)
		return string(b)
	}

	// A new record: itself and one entry per index.
	require.NoError(t, m.Set(ctx, 1, rec{Name: "a", Group: "g"}))
	require.ElementsMatch(t, []string{"set " + name("a"), "set " + group("g", 1), "set " + primary(1)}, st.writes)
	require.Equal(t, []byte{1}, st.kv[group("g", 1)], "the multi index stores its marker value, never an empty one")

	// An update that keeps both index keys writes the record only (the stock
	// indexes would remove and re-set both entries).
	st.writes = nil
	require.NoError(t, m.Set(ctx, 1, rec{Name: "a", Group: "g"}))
	require.Equal(t, []string{"set " + primary(1)}, st.writes)

	// Moving keys: the old entries go, the new ones come.
	st.writes = nil
	require.NoError(t, m.Set(ctx, 1, rec{Name: "b", Group: "h"}))
	require.ElementsMatch(t, []string{"del " + name("a"), "set " + name("b"), "del " + group("g", 1), "set " + group("h", 1), "set " + primary(1)}, st.writes)
	pk, err := m.Indexes.ByName.MatchExact(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, uint64(1), pk)
	_, err = m.Indexes.ByName.MatchExact(ctx, "a")
	require.ErrorIs(t, err, collections.ErrNotFound)

	// Unique: a second record with a taken name is refused and writes nothing.
	st.writes = nil
	err = m.Set(ctx, 2, rec{Name: "b", Group: "h"})
	require.ErrorIs(t, err, collections.ErrConflict)
	require.Empty(t, st.writes)
	// Multi: records share a group.
	require.NoError(t, m.Set(ctx, 2, rec{Name: "c", Group: "h"}))

	// Remove takes the record's entries with it.
	st.writes = nil
	require.NoError(t, m.Remove(ctx, 1))
	require.ElementsMatch(t, []string{"del " + name("b"), "del " + group("h", 1), "del " + primary(1)}, st.writes)
	require.Len(t, st.kv, 3, "record 2 and its two entries")
}
