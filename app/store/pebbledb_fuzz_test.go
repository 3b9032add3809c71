package store

import (
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

// FuzzPebbleDBMatchesMemDB applies the same ops, decoded from the input, to our
// pebble adapter and to cosmos-db's MemDB, and compares Get results, errors and
// forward and reverse iteration over a range the input also picks. Keys come from
// a small alphabet so sets, deletes and bounds collide.
func FuzzPebbleDBMatchesMemDB(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 1, 'x', 0, 1, 'b', 0, 2, 1, 'a', 3, 1, 'a', 1, 'b'})
	f.Add([]byte{4, 0, 1, 'c', 2, 'y', 'z', 0, 1, 'c', 1, 'q', 5, 6, 1, 'a', 0})
	f.Add([]byte{0, 0, 1, 'v', 1, 0, 7, 2, 'a', 'b', 1, 'c'})
	dir := f.TempDir()
	db, err := NewPebbleDB("fuzz", dir, 1<<20)
	require.NoError(f, err)
	f.Cleanup(func() { _ = db.Close() })
	f.Fuzz(func(t *testing.T, in []byte) {
		// One database for every input: clear it instead of reopening (fast).
		clearDB(t, db)
		mem := dbm.NewMemDB()
		r := fuzzReader{b: in}
		var batches [2]dbm.Batch // ours, mem
		for ops := 0; ops < 64 && !r.done(); ops++ {
			switch r.byte() % 8 {
			case 0: // set
				k, v := r.bytes(), r.value()
				require.Equal(t, mem.Set(k, v), db.Set(k, v), "Set(%q, %q)", k, v)
			case 1: // delete
				k := r.bytes()
				require.Equal(t, mem.Delete(k), db.Delete(k), "Delete(%q)", k)
			case 2: // get
				k := r.bytes()
				want, werr := mem.Get(k)
				got, gerr := db.Get(k)
				require.Equal(t, werr, gerr, "Get(%q)", k)
				require.Equal(t, want, got, "Get(%q)", k)
			case 3: // batch set
				if batches[0] == nil {
					batches = [2]dbm.Batch{db.NewBatch(), mem.NewBatch()}
				}
				k, v := r.bytes(), r.value()
				require.Equal(t, batches[1].Set(k, v), batches[0].Set(k, v), "batch Set(%q, %q)", k, v)
			case 4: // batch delete
				if batches[0] == nil {
					batches = [2]dbm.Batch{db.NewBatch(), mem.NewBatch()}
				}
				k := r.bytes()
				require.Equal(t, batches[1].Delete(k), batches[0].Delete(k), "batch Delete(%q)", k)
			case 5: // batch write
				if batches[0] != nil {
					require.Equal(t, batches[1].Write(), batches[0].Write(), "batch Write")
					require.NoError(t, batches[0].Close())
					require.NoError(t, batches[1].Close())
					batches = [2]dbm.Batch{}
				}
			case 6, 7: // iterate a range both ways
				start, end := r.bound(), r.bound()
				compareIterators(t, mem, db, start, end)
			}
		}
		if batches[0] != nil {
			require.NoError(t, batches[0].Close())
			require.NoError(t, batches[1].Close())
		}
		compareIterators(t, mem, db, nil, nil)
	})
}

func clearDB(t *testing.T, db dbm.DB) {
	t.Helper()
	itr, err := db.Iterator(nil, nil)
	require.NoError(t, err)
	var keys [][]byte
	for ; itr.Valid(); itr.Next() {
		keys = append(keys, itr.Key())
	}
	require.NoError(t, itr.Close())
	for _, k := range keys {
		require.NoError(t, db.Delete(k))
	}
}

type kvPair struct{ k, v []byte }

func collectRange(t *testing.T, db dbm.DB, start, end []byte, reverse bool) ([]kvPair, error) {
	t.Helper()
	var itr dbm.Iterator
	var err error
	if reverse {
		itr, err = db.ReverseIterator(start, end)
	} else {
		itr, err = db.Iterator(start, end)
	}
	if err != nil {
		return nil, err
	}
	defer itr.Close()
	var out []kvPair
	for ; itr.Valid(); itr.Next() {
		out = append(out, kvPair{itr.Key(), itr.Value()})
	}
	require.NoError(t, itr.Error())
	return out, nil
}

func compareIterators(t *testing.T, mem, db dbm.DB, start, end []byte) {
	t.Helper()
	for _, reverse := range []bool{false, true} {
		want, werr := collectRange(t, mem, start, end, reverse)
		got, gerr := collectRange(t, db, start, end, reverse)
		require.Equal(t, werr, gerr, "iterator [%q, %q) reverse=%v", start, end, reverse)
		require.Equal(t, want, got, "iterator [%q, %q) reverse=%v", start, end, reverse)
	}
}

// fuzzReader decodes ops' arguments: a length byte then that many bytes (mod a
// small bound), so the input drives empty keys, nil values and unbounded ranges too.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) done() bool { return len(r.b) == 0 }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// bytes is a key: 0 to 3 bytes from a 4-letter alphabet (length 0 tests the empty-key errors).
func (r *fuzzReader) bytes() []byte {
	n := int(r.byte() % 4)
	k := make([]byte, n)
	for i := range k {
		k[i] = 'a' + r.byte()%4
	}
	return k
}

// value is nil (refused by both), empty or a few raw bytes.
func (r *fuzzReader) value() []byte {
	n := int(r.byte() % 6)
	if n == 5 {
		return nil
	}
	v := make([]byte, n)
	for i := range v {
		v[i] = r.byte()
	}
	return v
}

// bound is nil (unbounded) or a key, possibly empty (refused by both).
func (r *fuzzReader) bound() []byte {
	if r.byte()%3 == 0 {
		return nil
	}
	return r.bytes()
}
