package store

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"
)

// countingDB counts point reads: a flush that finds its nodes cached reads nothing.
type countingDB struct {
	dbm.DB
	gets atomic.Int64
}

func (c *countingDB) Get(key []byte) ([]byte, error) {
	c.gets.Add(1)
	return c.DB.Get(key)
}

// prefetchFixture is a tree shaped like x/backup's in the 10,000-proof benchmark: 50,000
// records under five prefixes, committed; hot are the keys a block rewrites, the 10,000
// of one prefix (dense) or every 50th key (sparse, 1,000).
func prefetchFixture(t testing.TB, sparse bool, opts Options) (*MultiStore, *countingDB, [][]byte) {
	t.Helper()
	db := &countingDB{DB: dbm.NewMemDB()}
	ms, err := Open(db, []string{"acc", "backup"}, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ms.Close() })
	blk := ms.Working()
	s := blk.Store("backup")
	val := make([]byte, 200)
	var hot [][]byte
	for p := byte(2); p <= 6; p++ {
		for i := range 10_000 {
			k := binary.BigEndian.AppendUint64([]byte{p}, uint64(i+1))
			require.NoError(t, s.Set(k, val))
			if (!sparse && p == 4) || (sparse && i%50 == 0) {
				hot = append(hot, k)
			}
		}
	}
	require.NoError(t, blk.Store("acc").Set([]byte("a"), []byte("b")))
	require.NoError(t, blk.Write())
	_, err = ms.Commit()
	require.NoError(t, err)
	return ms, db, hot
}

// writeHot rewrites every hot key (and one key not in the tree) and returns the working
// hash and the database reads of the flush.
func writeHot(t testing.TB, ms *MultiStore, db *countingDB, hot [][]byte) ([]byte, int64) {
	blk := ms.Working()
	s := blk.Store("backup")
	val := make([]byte, 200)
	val[0] = 1
	for _, k := range hot {
		require.NoError(t, s.Set(k, val))
	}
	require.NoError(t, s.Set([]byte{4, 0xff}, val))
	before := db.gets.Load()
	require.NoError(t, blk.Write()) // waits for a running prefetch
	return ms.WorkingHash(), db.gets.Load() - before
}

// finishPrefetch lets a running Prefetch end by itself.
func finishPrefetch(ms *MultiStore) {
	ms.pfMu.Lock()
	pf := ms.pf
	ms.pfMu.Unlock()
	if pf != nil {
		<-pf.done
	}
}

func TestPrefetchWarmsTheFlush(t *testing.T) {
	for _, sparse := range []bool{false, true} {
		ms, db, hot := prefetchFixture(t, sparse, Options{})
		wantHash, coldReads := writeHot(t, ms, db, hot)

		ms2, db2, hot2 := prefetchFixture(t, sparse, Options{})
		keys := append(hot2, []byte{4, 0xff}, hot2[0]) // an absent key and a duplicate
		ms2.Prefetch(map[string][][]byte{"backup": keys, "nosuchstore": {[]byte("x")}})
		finishPrefetch(ms2)
		gotHash, warmReads := writeHot(t, ms2, db2, hot2)
		require.Equal(t, wantHash, gotHash, "a prefetch changed the working hash")
		t.Logf("sparse %v: reads during the flush: %d without a prefetch, %d after one", sparse, coldReads, warmReads)
		if sparse {
			require.Less(t, warmReads*2, coldReads, "the prefetch left most of the flush's node loads")
		} else {
			require.Less(t, warmReads*100, coldReads, "the prefetch left the flush's node loads")
		}
	}
}

// A flush while the prefetch still runs waits for it (go test -race: no data race
// between the walk and Node.clone), and Commit, Close and a new Prefetch stop it.
func TestPrefetchEndsBeforeWrites(t *testing.T) {
	ms, db, hot := prefetchFixture(t, false, Options{})
	ms.Prefetch(map[string][][]byte{"backup": hot})
	_, _ = writeHot(t, ms, db, hot) // no finishPrefetch: Write must wait
	require.Nil(t, ms.pf)
	_, err := ms.Commit()
	require.NoError(t, err)

	ms.Prefetch(map[string][][]byte{"backup": hot})
	ms.Prefetch(map[string][][]byte{"backup": hot[:10]}) // stops the first
	_, err = ms.Commit()                                 // stops the second
	require.NoError(t, err)
	require.Nil(t, ms.pf)
	ms.Prefetch(map[string][][]byte{"backup": hot})
	require.NoError(t, ms.Close())
	require.Nil(t, ms.pf)
	ms.Prefetch(map[string][][]byte{"backup": hot}) // closed: nothing starts
	require.Nil(t, ms.pf)

	off, _, hot := prefetchFixture(t, false, Options{NoPrefetch: true})
	off.Prefetch(map[string][][]byte{"backup": hot})
	require.Nil(t, off.pf)
}

// BenchmarkPrefetchedWrite: the flush (Branch.Write) and working hash of rewritten keys of
// a 50,000-key tree (10,000 dense, or 1,000 sparse), without and after a
// completed prefetch (its walk timed apart).
func BenchmarkPrefetchedWrite(b *testing.B) {
	for _, sparse := range []bool{false, true} {
		for _, on := range []bool{false, true} {
			b.Run(map[bool]string{false: "dense", true: "sparse"}[sparse]+"/"+map[bool]string{false: "off", true: "prefetched"}[on], func(b *testing.B) {
				var write, walk time.Duration
				var reads int64
				for range b.N {
					ms, db, hot := prefetchFixture(b, sparse, Options{NoPrefetch: !on})
					t0 := time.Now()
					ms.Prefetch(map[string][][]byte{"backup": hot})
					finishPrefetch(ms)
					walk += time.Since(t0)
					t1 := time.Now()
					_, n := writeHot(b, ms, db, hot)
					write += time.Since(t1)
					reads += n
					_ = ms.Close()
				}
				b.ReportMetric(float64(walk.Microseconds())/1e3/float64(b.N), "ms-prefetch")
				b.ReportMetric(float64(write.Microseconds())/1e3/float64(b.N), "ms-write+hash")
				b.ReportMetric(float64(reads)/float64(b.N), "reads")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
