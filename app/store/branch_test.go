package store

import (
	"bytes"
	"fmt"
	"math/rand"
	"sort"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

func TestBranchNestedReadWrite(t *testing.T) {
	ms, _, _ := openTest(t, "memdb", Options{})
	commitBlock(t, ms, map[string]map[string]string{"bank": {"a": "1", "b": "2"}})

	blk := ms.Working()
	tx := blk.Branch()
	s := tx.Store("bank")
	require.Equal(t, []byte("1"), mustGet(t, s, "a"))
	require.NoError(t, s.Set([]byte("a"), []byte("10")))
	require.NoError(t, s.Delete([]byte("b")))
	require.NoError(t, s.Set([]byte("c"), []byte{})) // empty values are values

	has, err := s.Has([]byte("b"))
	require.NoError(t, err)
	require.False(t, has)
	has, err = s.Has([]byte("c"))
	require.NoError(t, err)
	require.True(t, has)
	require.NotNil(t, mustGet(t, s, "c"))

	// Nothing reaches the parent before Write.
	require.Equal(t, []byte("1"), mustGet(t, blk.Store("bank"), "a"))
	require.Equal(t, []byte("2"), mustGet(t, blk.Store("bank"), "b"))

	require.NoError(t, tx.Write())
	require.Equal(t, []byte("10"), mustGet(t, blk.Store("bank"), "a"))
	require.Nil(t, mustGet(t, blk.Store("bank"), "b"))
	// The written branch is empty and reusable.
	require.Equal(t, []byte("10"), mustGet(t, s, "a"))
	require.NoError(t, s.Set([]byte("d"), []byte("4")))
	require.NoError(t, tx.Write())

	// A discarded branch leaves its parent untouched.
	tx2 := blk.Branch()
	require.NoError(t, tx2.Store("bank").Set([]byte("a"), []byte("lost")))
	require.NoError(t, tx2.Store("acc").Set([]byte("x"), []byte("lost")))
	require.Equal(t, []byte("10"), mustGet(t, blk.Store("bank"), "a"))
	require.Nil(t, mustGet(t, blk.Store("acc"), "x"))

	// Not in the working tree until the block branch is written.
	require.Equal(t, []byte("1"), mustGet(t, ms.Working().Store("bank"), "a"))
	require.NoError(t, blk.Write())
	w := ms.Working().Store("bank")
	require.Equal(t, []byte("10"), mustGet(t, w, "a"))
	require.Nil(t, mustGet(t, w, "b"))
	require.Equal(t, []byte{}, mustGet(t, w, "c"))
	require.Equal(t, []byte("4"), mustGet(t, w, "d"))

	id, err := ms.Commit()
	require.NoError(t, err)
	require.Equal(t, int64(2), id.Version)
	old, err := ms.BranchAt(1)
	require.NoError(t, err)
	require.Equal(t, []byte("2"), mustGet(t, old.Store("bank"), "b"))
	cur, err := ms.BranchAt(2)
	require.NoError(t, err)
	has, err = cur.Store("bank").Has([]byte("c"))
	require.NoError(t, err)
	require.True(t, has)
	require.Equal(t, []byte{}, mustGet(t, cur.Store("bank"), "c"))
}

func TestBranchSetCopiesInput(t *testing.T) {
	ms, _, _ := openTest(t, "memdb", Options{})
	s := ms.Working().Store("bank")
	k, v := []byte("key"), []byte("value")
	require.NoError(t, s.Set(k, v))
	k[0], v[0] = 'X', 'X'
	require.Equal(t, []byte("value"), mustGet(t, s, "key"))
}

func TestBranchInvalidInput(t *testing.T) {
	ms, _, _ := openTest(t, "memdb", Options{})
	s := ms.Working().Branch().Store("bank")
	_, err := s.Get(nil)
	require.ErrorIs(t, err, ErrEmptyKey)
	_, err = s.Has([]byte{})
	require.ErrorIs(t, err, ErrEmptyKey)
	require.ErrorIs(t, s.Set(nil, []byte("v")), ErrEmptyKey)
	require.ErrorIs(t, s.Set([]byte("k"), nil), ErrNilValue)
	require.ErrorIs(t, s.Delete(nil), ErrEmptyKey)
	_, err = s.Iterator([]byte{}, nil)
	require.ErrorIs(t, err, ErrEmptyKey)
	require.Panics(t, func() { ms.Working().Store("nope") })

	b, err := ms.BranchAt(0)
	require.NoError(t, err)
	require.Error(t, b.Write())
	// Nested branches of a read-only branch still work: CheckTx state.
	tx := b.Branch()
	require.NoError(t, tx.Store("bank").Set([]byte("k"), []byte("v")))
	require.NoError(t, tx.Write())
	require.Equal(t, []byte("v"), mustGet(t, b.Store("bank"), "k"))
	keys, _ := collect(t, must(b.Store("bank").ReverseIterator(nil, nil)))
	require.Equal(t, []string{"k"}, keys)
	keys, _ = collect(t, must(b.Store("acc").Iterator(nil, nil)))
	require.Empty(t, keys)
	require.Error(t, b.Write())
}

// refModel is the reference: a plain map per level.
type refModel map[string]string

func (m refModel) clone() refModel {
	c := make(refModel, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (m refModel) rangeKeys(start, end []byte, ascending bool) []string {
	var keys []string
	for k := range m {
		if start != nil && k < string(start) {
			continue
		}
		if end != nil && k >= string(end) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !ascending {
		for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
			keys[i], keys[j] = keys[j], keys[i]
		}
	}
	return keys
}

func collect(t *testing.T, it dbm.Iterator) (keys []string, vals []string) {
	t.Helper()
	defer it.Close()
	for ; it.Valid(); it.Next() {
		keys = append(keys, string(it.Key()))
		vals = append(vals, string(it.Value()))
	}
	require.NoError(t, it.Error())
	return keys, vals
}

// TestBranchProperty drives random operations through working tree / block branch / tx branch and
// compares every read and iterator with the reference model.
func TestBranchProperty(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runBranchProperty(t, seed) })
	}
}

func runBranchProperty(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	ms, _, _ := openTest(t, "memdb", Options{})
	const name = "bank"
	randKey := func() []byte { return []byte(fmt.Sprintf("k%02d", rng.Intn(60))) }

	committed := refModel{}
	for block := 0; block < 6; block++ {
		blk := ms.Working()
		blkModel := committed.clone()
		for txn := 0; txn < 8; txn++ {
			tx := blk.Branch()
			txModel := blkModel.clone()
			s := tx.Store(name)
			ops := 5 + rng.Intn(70) // some tx buffers outgrow the small-slice mode
			for op := 0; op < ops; op++ {
				switch r := rng.Intn(10); {
				case r < 4:
					k, v := randKey(), []byte(fmt.Sprintf("v%d", rng.Intn(1000)))
					require.NoError(t, s.Set(k, v))
					txModel[string(k)] = string(v)
				case r < 6:
					k := randKey()
					require.NoError(t, s.Delete(k))
					delete(txModel, string(k))
				case r < 8:
					k := randKey()
					v := mustGet(t, s, string(k))
					want, ok := txModel[string(k)]
					if ok {
						require.Equal(t, want, string(v))
					} else {
						require.Nil(t, v)
					}
					has, err := s.Has(k)
					require.NoError(t, err)
					require.Equal(t, ok, has)
				default:
					var start, end []byte
					if rng.Intn(3) > 0 {
						start = randKey()
					}
					if rng.Intn(3) > 0 {
						end = randKey()
					}
					if start != nil && end != nil && bytes.Compare(start, end) > 0 {
						start, end = end, start
					}
					asc := rng.Intn(2) == 0
					var it dbm.Iterator
					var err error
					if asc {
						it, err = s.Iterator(start, end)
					} else {
						it, err = s.ReverseIterator(start, end)
					}
					require.NoError(t, err)
					keys, vals := collect(t, it)
					want := txModel.rangeKeys(start, end, asc)
					require.Equal(t, want, keys, "range [%s,%s) asc=%v", start, end, asc)
					for i, k := range keys {
						require.Equal(t, txModel[k], vals[i])
					}
				}
			}
			if rng.Intn(4) > 0 {
				require.NoError(t, tx.Write())
				blkModel = txModel
			}
			if rng.Intn(4) == 0 {
				// Flush mid-block so later reads see unsaved IAVL changes.
				require.NoError(t, blk.Write())
			}
		}
		// The block branch sees exactly what the written txs did.
		keys, _ := collect(t, must(blk.Store(name).Iterator(nil, nil)))
		require.Equal(t, blkModel.rangeKeys(nil, nil, true), keys)
		require.NoError(t, blk.Write())
		_, err := ms.Commit()
		require.NoError(t, err)
		committed = blkModel

		past, err := ms.BranchAt(ms.LastCommitID().Version)
		require.NoError(t, err)
		keys, _ = collect(t, must(past.Store(name).ReverseIterator(nil, nil)))
		require.Equal(t, committed.rangeKeys(nil, nil, false), keys)
	}
}

func must(it dbm.Iterator, err error) dbm.Iterator {
	if err != nil {
		panic(err)
	}
	return it
}

// Writes made while an iterator is open must not disturb it (modules delete while iterating),
// for both buffer representations.
func TestBranchWriteWhileIterating(t *testing.T) {
	for _, buffered := range []int{2, 3 * smallMax} {
		t.Run(fmt.Sprint(buffered), func(t *testing.T) {
			ms, _, _ := openTest(t, "memdb", Options{})
			committed := map[string]string{}
			for i := 0; i < 50; i += 2 {
				committed[fmt.Sprintf("k%03d", i)] = "c"
			}
			commitBlock(t, ms, map[string]map[string]string{"bank": committed})
			blk := ms.Working()
			s := blk.Store("bank")
			for i := 1; i < 2*buffered; i += 2 {
				require.NoError(t, s.Set([]byte(fmt.Sprintf("k%03d", i)), []byte("b")))
			}
			want := refModel{}
			for k, v := range committed {
				want[k] = v
			}
			for i := 1; i < 2*buffered; i += 2 {
				want[fmt.Sprintf("k%03d", i)] = "b"
			}
			for _, asc := range []bool{true, false} {
				var it dbm.Iterator
				var err error
				if asc {
					it, err = s.Iterator(nil, nil)
				} else {
					it, err = s.ReverseIterator(nil, nil)
				}
				require.NoError(t, err)
				var seen []string
				for ; it.Valid(); it.Next() {
					k := string(it.Key())
					seen = append(seen, k)
					require.Equal(t, want[k], string(it.Value()))
					// Churn the buffer: deletes, inserts around the cursor, and growth.
					require.NoError(t, s.Delete(it.Key()))
					require.NoError(t, s.Set([]byte(k+"x"), []byte("n")))
					require.NoError(t, s.Set([]byte(k), []byte(want[k])))
				}
				require.NoError(t, it.Close())
				require.Equal(t, want.rangeKeys(nil, nil, asc), seen)
				for _, k := range seen {
					want[k+"x"] = "n"
				}
				keys, _ := collect(t, must(s.Iterator(nil, nil)))
				require.Equal(t, want.rangeKeys(nil, nil, true), keys)
			}
		})
	}
}

func TestBranchManyStoresLazy(t *testing.T) {
	names := make([]string, 20) // more than inlineStores
	for i := range names {
		names[i] = fmt.Sprintf("m%02d", 19-i)
	}
	ms, err := Open(dbm.NewMemDB(), names, Options{})
	require.NoError(t, err)
	defer ms.Close()
	require.Equal(t, "m00", ms.Names()[0])
	blk := ms.Working()
	tx := blk.Branch()
	for i, n := range names {
		require.NoError(t, tx.Store(n).Set([]byte("k"), []byte(n)))
		_ = i
	}
	require.NoError(t, tx.Write())
	require.NoError(t, blk.Write())
	_, err = ms.Commit()
	require.NoError(t, err)
	b, err := ms.BranchAt(1)
	require.NoError(t, err)
	for _, n := range names {
		require.Equal(t, []byte(n), mustGet(t, b.Store(n), "k"))
	}
}
