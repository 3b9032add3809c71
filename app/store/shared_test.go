package store

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// A SharedAt root reads exactly what BranchAt reads, from many goroutines at once
// (run with -race), including keys absent from the version, while blocks keep
// committing; each goroutine's nested branch keeps its own writes.
func TestSharedAtConcurrentReads(t *testing.T) {
	ms, _, _ := openTest(t, "pebbledb", Options{IAVLCacheSize: 1000})
	for v := int64(1); v <= 3; v++ {
		concurrentBlock(t, ms, v)
	}
	root, err := ms.SharedAt(3, 50, nil) // a small bound: most reads are not remembered
	require.NoError(t, err)
	ref, err := ms.BranchAt(3)
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				br := root.Branch()
				for _, name := range ms.Names() {
					s := br.Store(name)
					for i := 0; i < 45; i++ {
						key := []byte(fmt.Sprintf("k%05d", i))
						got, err := s.Get(key)
						if err != nil {
							errs <- err
							return
						}
						mine := []byte(fmt.Sprintf("g%d", g))
						if err := s.Set(key, mine); err != nil { // buffered in this goroutine's branch only
							errs <- err
							return
						}
						if again, _ := s.Get(key); string(again) != string(mine) {
							errs <- fmt.Errorf("%s %s: own write not read back", name, key)
							return
						}
						_ = got
					}
				}
			}
		}(g)
	}
	for v := int64(4); v <= 6; v++ {
		concurrentBlock(t, ms, v)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	// The root saw none of the nested writes and still reads version 3.
	for _, name := range ms.Names() {
		for i := 0; i < 45; i++ {
			key := []byte(fmt.Sprintf("k%05d", i))
			want, err := ref.Store(name).Get(key)
			require.NoError(t, err)
			got, err := root.Store(name).Get(key)
			require.NoError(t, err)
			require.Equal(t, want, got, "%s %s", name, key)
			has, err := root.Store(name).Has(key)
			require.NoError(t, err)
			require.Equal(t, want != nil, has)
		}
	}
	require.Error(t, root.Write(), "the shared root is read-only")
}

// The read cache keeps at most its bound and answers reads past it from the tree.
func TestSharedAtReadBound(t *testing.T) {
	ms, _, _ := openTest(t, "pebbledb", Options{IAVLCacheSize: 1000})
	concurrentBlock(t, ms, 1)
	root, err := ms.SharedAt(1, 1, nil)
	require.NoError(t, err)
	name := ms.Names()[0]
	for i := 0; i < 10; i++ {
		got, err := root.Store(name).Get([]byte(fmt.Sprintf("k%05d", 10+i)))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint(10+i), string(got))
	}
	total := 0
	for i := range root.bases {
		if _, ok := root.bases[i].(*readCache); ok {
			total += cached(root, i)
		}
	}
	require.Equal(t, 1, total, "one entry over all stores")
	_, err = ms.SharedAt(99, 0, nil)
	require.Error(t, err, "a version not committed")
}

// What a root remembered carries over to the next version's root except the keys
// that version's commit wrote; without tracking (or across a gap) nothing carries.
func TestSharedAtCarriesUnwrittenReads(t *testing.T) {
	ms, _, _ := openTest(t, "pebbledb", Options{IAVLCacheSize: 1000})
	ms.TrackWrites()
	concurrentBlock(t, ms, 1) // first tracked commit: not known
	concurrentBlock(t, ms, 2)
	name := ms.Names()[0]
	r2, err := ms.SharedAt(2, 0, nil)
	require.NoError(t, err)
	for _, k := range []string{"counter", "k00010", "k00011", "k00099"} {
		_, err := r2.Store(name).Get([]byte(k))
		require.NoError(t, err)
	}
	r1, err := ms.SharedAt(1, 0, nil)
	require.NoError(t, err)
	seeded, err := ms.SharedAt(2, 0, r1) // r1 remembered nothing; version 2's writes were tracked
	require.NoError(t, err)
	require.Equal(t, 11, cached(seeded, 0), "counter and k00020-29, as the commit wrote them")

	concurrentBlock(t, ms, 3) // writes counter, k00030-39; k00010-11 untouched
	r3, err := ms.SharedAt(3, 0, r2)
	require.NoError(t, err)
	rc := r3.bases[0].(*readCache)
	// r2 knew block 2's 11 writes (counter, k00020-29) and read k00010, k00011 and the
	// absent k00099; all but counter (rewritten by block 3) carry over.
	require.Equal(t, 11+13, cached(r3, 0), "block 3's writes and what carried over")
	for _, k := range []string{"counter", "k00010", "k00011", "k00099", "k00030", "k00039", "k00020"} {
		want, err := ms.BranchAt(3)
		require.NoError(t, err)
		w, err := want.Store(name).Get([]byte(k))
		require.NoError(t, err)
		got, err := r3.Store(name).Get([]byte(k))
		require.NoError(t, err)
		require.Equal(t, w, got, k)
	}
	require.Equal(t, 11+13, cached(r3, 0), "every read above was remembered already")
	_ = rc

	// A gap (version 5 from a root of 3) carries nothing; block 5's writes (11 set,
	// k00020-24 removed) are known.
	concurrentBlock(t, ms, 4)
	concurrentBlock(t, ms, 5)
	r5, err := ms.SharedAt(5, 0, r3)
	require.NoError(t, err)
	require.Equal(t, 16, cached(r5, 0))
	got, err := r5.Store(name).Get([]byte("k00020"))
	require.NoError(t, err)
	require.Nil(t, got, "removed at version 5")

	// Untracked stores know nothing.
	ms2, _, _ := openTest(t, "pebbledb", Options{IAVLCacheSize: 1000})
	concurrentBlock(t, ms2, 1)
	concurrentBlock(t, ms2, 2)
	u, err := ms2.SharedAt(2, 0, nil)
	require.NoError(t, err)
	require.Zero(t, cached(u, 0))
}

func cached(root *Branch, i int) int {
	rc := root.bases[i].(*readCache)
	n := 0
	for j := range rc.shards {
		n += len(rc.shards[j].m)
	}
	return n
}
