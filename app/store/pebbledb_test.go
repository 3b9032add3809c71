package store

import (
	"encoding/binary"
	"fmt"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

// The behaviour tests below are cosmos-db v1.1.3's backend tests (backend_test.go,
// testBackendGetSetDelete, testDBIterator, testDBBatchOperations,
// testDBBatchGetByteSize), run against our adapter: it must behave as cosmos-db's.

func openPebbleTest(t testing.TB, dir string) *PebbleDB {
	t.Helper()
	db, err := NewPebbleDB("state", dir, 8<<20)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestPebbleDBGetSetDelete(t *testing.T) {
	db := openPebbleTest(t, t.TempDir())

	value, err := db.Get([]byte("a"))
	require.NoError(t, err)
	require.Nil(t, value)
	ok, err := db.Has([]byte("a"))
	require.NoError(t, err)
	require.False(t, ok)

	require.NoError(t, db.Set([]byte("a"), []byte{0x01}))
	ok, err = db.Has([]byte("a"))
	require.NoError(t, err)
	require.True(t, ok)
	value, err = db.Get([]byte("a"))
	require.NoError(t, err)
	require.Equal(t, []byte{0x01}, value)

	require.NoError(t, db.SetSync([]byte("b"), []byte{0x02}))
	value, err = db.Get([]byte("b"))
	require.NoError(t, err)
	require.Equal(t, []byte{0x02}, value)

	// Deleting a missing key is fine.
	require.NoError(t, db.Delete([]byte("x")))
	require.NoError(t, db.DeleteSync([]byte("x")))

	require.NoError(t, db.Delete([]byte("a")))
	value, err = db.Get([]byte("a"))
	require.NoError(t, err)
	require.Nil(t, value)
	require.NoError(t, db.DeleteSync([]byte("b")))
	value, err = db.Get([]byte("b"))
	require.NoError(t, err)
	require.Nil(t, value)

	for _, k := range [][]byte{nil, {}} {
		_, err = db.Get(k)
		require.Equal(t, errKeyEmpty, err)
		_, err = db.Has(k)
		require.Equal(t, errKeyEmpty, err)
		require.Equal(t, errKeyEmpty, db.Set(k, []byte{0x01}))
		require.Equal(t, errKeyEmpty, db.SetSync(k, []byte{0x01}))
		require.Equal(t, errKeyEmpty, db.Delete(k))
		require.Equal(t, errKeyEmpty, db.DeleteSync(k))
	}

	// A nil value is refused (state unchanged); an empty one is stored and reads back as []byte{}.
	require.Equal(t, errValueNil, db.Set([]byte("x"), nil))
	require.Equal(t, errValueNil, db.SetSync([]byte("x"), nil))
	ok, err = db.Has([]byte("x"))
	require.NoError(t, err)
	require.False(t, ok, "a refused Set stored nothing")
	require.NoError(t, db.Set([]byte("x"), []byte{}))
	require.NoError(t, db.SetSync([]byte("x"), []byte{}))
	value, err = db.Get([]byte("x"))
	require.NoError(t, err)
	require.Equal(t, []byte{}, value)
}

// Values returned are copies: changing them changes neither the database nor later reads.
func TestPebbleDBReturnsCopies(t *testing.T) {
	db := openPebbleTest(t, t.TempDir())
	key, val := []byte("k"), []byte("value")
	require.NoError(t, db.Set(key, val))
	key[0], val[0] = 'z', 'z' // the caller reuses its buffers
	got, err := db.Get([]byte("k"))
	require.NoError(t, err)
	require.Equal(t, []byte("value"), got)
	got[0] = 'X'
	again, err := db.Get([]byte("k"))
	require.NoError(t, err)
	require.Equal(t, []byte("value"), again)

	start := []byte("a")
	itr, err := db.Iterator(start, nil)
	require.NoError(t, err)
	defer itr.Close()
	start[0] = 'z' // would hide "k" if the iterator kept the caller's slice
	require.True(t, itr.Valid())
	k, v := itr.Key(), itr.Value()
	k[0], v[0] = 'X', 'X'
	require.Equal(t, []byte("k"), itr.Key())
	require.Equal(t, []byte("value"), itr.Value())
}

func int642Bytes(i int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(i))
}

func verifyIterator(t *testing.T, itr dbm.Iterator, expected []int64, msg string) {
	t.Helper()
	var list []int64
	for itr.Valid() {
		list = append(list, int64(binary.BigEndian.Uint64(itr.Key())))
		itr.Next()
	}
	require.NoError(t, itr.Error())
	require.NoError(t, itr.Close())
	require.Equal(t, expected, list, msg)
}

func TestPebbleDBIterator(t *testing.T) {
	db := openPebbleTest(t, t.TempDir())
	for i := int64(0); i < 10; i++ {
		if i != 6 { // skip 6
			require.NoError(t, db.Set(int642Bytes(i), []byte{}))
		}
	}
	_, err := db.Iterator([]byte{}, nil)
	require.Equal(t, errKeyEmpty, err)
	_, err = db.Iterator(nil, []byte{})
	require.Equal(t, errKeyEmpty, err)
	_, err = db.ReverseIterator([]byte{}, nil)
	require.Equal(t, errKeyEmpty, err)
	_, err = db.ReverseIterator(nil, []byte{})
	require.Equal(t, errKeyEmpty, err)

	b := func(i int64) []byte { return int642Bytes(i) }
	for _, c := range []struct {
		reverse    bool
		start, end []byte
		want       []int64
	}{
		{false, nil, nil, []int64{0, 1, 2, 3, 4, 5, 7, 8, 9}},
		{true, nil, nil, []int64{9, 8, 7, 5, 4, 3, 2, 1, 0}},
		{false, nil, b(0), nil},
		{true, b(10), nil, nil},
		{false, b(0), nil, []int64{0, 1, 2, 3, 4, 5, 7, 8, 9}},
		{false, b(1), nil, []int64{1, 2, 3, 4, 5, 7, 8, 9}},
		{true, nil, b(10), []int64{9, 8, 7, 5, 4, 3, 2, 1, 0}},
		{true, nil, b(9), []int64{8, 7, 5, 4, 3, 2, 1, 0}},
		{true, nil, b(8), []int64{7, 5, 4, 3, 2, 1, 0}},
		{false, b(5), b(6), []int64{5}},
		{false, b(5), b(7), []int64{5}},
		{false, b(5), b(8), []int64{5, 7}},
		{false, b(6), b(7), nil},
		{false, b(6), b(8), []int64{7}},
		{false, b(7), b(8), []int64{7}},
		{true, b(4), b(5), []int64{4}},
		{true, b(4), b(6), []int64{5, 4}},
		{true, b(4), b(7), []int64{5, 4}},
		{true, b(5), b(6), []int64{5}},
		{true, b(5), b(7), []int64{5}},
		{true, b(6), b(7), nil},
		{true, b(10), nil, nil},
		{true, b(6), nil, []int64{9, 8, 7}},
		{true, b(5), nil, []int64{9, 8, 7, 5}},
		{true, b(8), b(9), []int64{8}},
		{true, b(2), b(4), []int64{3, 2}},
		{true, b(4), b(2), nil},
		{false, b(4), b(2), nil},
	} {
		msg := fmt.Sprintf("reverse=%v [%x, %x)", c.reverse, c.start, c.end)
		var itr dbm.Iterator
		if c.reverse {
			itr, err = db.ReverseIterator(c.start, c.end)
		} else {
			itr, err = db.Iterator(c.start, c.end)
		}
		require.NoError(t, err, msg)
		ds, de := itr.Domain()
		require.Equal(t, c.start, ds, msg)
		require.Equal(t, c.end, de, msg)
		verifyIterator(t, itr, c.want, msg)
	}

	// An exhausted iterator stays invalid and Key, Value and Next panic, as the
	// dbm.Iterator contract says; a second Close is harmless.
	itr, err := db.Iterator(b(9), nil)
	require.NoError(t, err)
	require.True(t, itr.Valid())
	itr.Next()
	require.False(t, itr.Valid())
	require.Panics(t, func() { itr.Key() })
	require.Panics(t, func() { itr.Value() })
	require.Panics(t, func() { itr.Next() })
	require.NoError(t, itr.Close())
	require.NoError(t, itr.Close())

	// Iterators on an empty database do not panic.
	empty := openPebbleTest(t, t.TempDir())
	itr, err = empty.Iterator(nil, nil)
	require.NoError(t, err)
	verifyIterator(t, itr, nil, "forward iterator with empty db")
	itr, err = empty.ReverseIterator(nil, nil)
	require.NoError(t, err)
	verifyIterator(t, itr, nil, "reverse iterator with empty db")
}

func assertKeyValues(t *testing.T, db dbm.DB, expect map[string][]byte) {
	t.Helper()
	itr, err := db.Iterator(nil, nil)
	require.NoError(t, err)
	defer itr.Close()
	actual := map[string][]byte{}
	for ; itr.Valid(); itr.Next() {
		actual[string(itr.Key())] = itr.Value()
	}
	require.NoError(t, itr.Error())
	require.Equal(t, expect, actual)
}

func TestPebbleDBBatchOperations(t *testing.T) {
	db := openPebbleTest(t, t.TempDir())

	// Nothing is visible until Write.
	batch := db.NewBatch()
	require.NoError(t, batch.Set([]byte("a"), []byte{1}))
	require.NoError(t, batch.Set([]byte("b"), []byte{2}))
	require.NoError(t, batch.Set([]byte("c"), []byte{3}))
	assertKeyValues(t, db, map[string][]byte{})
	require.NoError(t, batch.Write())
	assertKeyValues(t, db, map[string][]byte{"a": {1}, "b": {2}, "c": {3}})

	// A written batch refuses everything but Close.
	require.Equal(t, errBatchClosed, batch.Set([]byte("a"), []byte{9}))
	require.Equal(t, errBatchClosed, batch.Delete([]byte("a")))
	require.Equal(t, errBatchClosed, batch.Write())
	require.Equal(t, errBatchClosed, batch.WriteSync())
	_, err := batch.GetByteSize()
	require.Equal(t, errBatchClosed, err)
	require.NoError(t, batch.Close())
	assertKeyValues(t, db, map[string][]byte{"a": {1}, "b": {2}, "c": {3}})

	// Operations apply in order.
	batch = db.NewBatchWithSize(64)
	require.NoError(t, batch.Delete([]byte("a")))
	require.NoError(t, batch.Set([]byte("a"), []byte{1}))
	require.NoError(t, batch.Set([]byte("b"), []byte{1}))
	require.NoError(t, batch.Set([]byte("b"), []byte{2}))
	require.NoError(t, batch.Set([]byte("c"), []byte{3}))
	require.NoError(t, batch.Delete([]byte("c")))
	require.NoError(t, batch.WriteSync())
	require.NoError(t, batch.Close())
	assertKeyValues(t, db, map[string][]byte{"a": {1}, "b": {2}})

	// Empty and nil keys and nil values are refused.
	batch = db.NewBatch()
	require.Equal(t, errKeyEmpty, batch.Set([]byte{}, []byte{0x01}))
	require.Equal(t, errKeyEmpty, batch.Set(nil, []byte{0x01}))
	require.Equal(t, errValueNil, batch.Set([]byte("a"), nil))
	require.Equal(t, errKeyEmpty, batch.Delete([]byte{}))
	require.Equal(t, errKeyEmpty, batch.Delete(nil))
	require.NoError(t, batch.Close())

	// An empty batch writes; closing twice is fine; a closed batch refuses the rest.
	batch = db.NewBatch()
	require.NoError(t, batch.Write())
	assertKeyValues(t, db, map[string][]byte{"a": {1}, "b": {2}})
	batch = db.NewBatch()
	require.NoError(t, batch.Close())
	require.NoError(t, batch.Close())
	require.Equal(t, errBatchClosed, batch.Set([]byte("a"), []byte{9}))
	require.Equal(t, errBatchClosed, batch.Delete([]byte("a")))
	require.Equal(t, errBatchClosed, batch.Write())
	require.Equal(t, errBatchClosed, batch.WriteSync())
	assertKeyValues(t, db, map[string][]byte{"a": {1}, "b": {2}})
}

func TestPebbleDBBatchGetByteSize(t *testing.T) {
	db := openPebbleTest(t, t.TempDir())
	batch := db.NewBatch()
	n, err := batch.GetByteSize()
	require.NoError(t, err)
	require.LessOrEqual(t, n, 32, "an empty batch is pebble's 12-byte header")
	total := 0
	for i := range 100 {
		k, v := fmt.Appendf(nil, "key-%03d", i), make([]byte, 1+i%32)
		total += len(k) + len(v)
		require.NoError(t, batch.Set(k, v))
	}
	n, err = batch.GetByteSize()
	require.NoError(t, err)
	require.Equal(t, 1, n/total)
	require.NoError(t, batch.Write())
	_, err = batch.GetByteSize()
	require.Error(t, err)
}

// After Close every call returns an error instead of pebble's panic, and Close twice is fine.
func TestPebbleDBAfterClose(t *testing.T) {
	db, err := NewPebbleDB("state", t.TempDir(), 0)
	require.NoError(t, err)
	batch := db.NewBatch()
	require.NoError(t, batch.Set([]byte("a"), []byte{1}))
	require.NoError(t, db.Close())
	require.NoError(t, db.Close())
	_, err = db.Get([]byte("a"))
	require.Equal(t, errDBClosed, err)
	require.Equal(t, errDBClosed, db.Set([]byte("a"), []byte{1}))
	require.Equal(t, errDBClosed, db.Delete([]byte("a")))
	_, err = db.Iterator(nil, nil)
	require.Equal(t, errDBClosed, err)
	require.Equal(t, errDBClosed, batch.Write())
	require.NoError(t, batch.Close())
	require.Nil(t, db.Stats())
}

func TestPebbleDBStatsNamesTheCache(t *testing.T) {
	db := openPebbleTest(t, t.TempDir())
	require.NoError(t, db.Set([]byte("a"), []byte{1}))
	st := db.Stats()
	require.Contains(t, st, "pebble.block-cache.size")
	require.Contains(t, st["pebble.metrics"], "level")
}

func TestNewPebbleDBRefusesNegativeCache(t *testing.T) {
	_, err := NewPebbleDB("state", t.TempDir(), -1)
	require.ErrorContains(t, err, "negative pebble block cache size")
	_, err = OpenDBWith("pebbledb", "state", t.TempDir(), DBOptions{CacheBytes: -1})
	require.ErrorContains(t, err, "negative db cache size")
}

// OpenDB's "pebbledb" is this adapter.
func TestOpenDBPebbleIsOurAdapter(t *testing.T) {
	db, err := OpenDB("pebbledb", "state", t.TempDir())
	require.NoError(t, err)
	defer db.Close()
	_, ok := db.(*PebbleDB)
	require.True(t, ok)
	db2, err := OpenDB("", "state", t.TempDir())
	require.NoError(t, err)
	defer db2.Close()
	_, ok = db2.(*PebbleDB)
	require.True(t, ok)
}
