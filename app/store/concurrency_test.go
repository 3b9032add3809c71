package store

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// keysAt is the number of keys each store holds after block v of concurrentBlock.
func keysAt(v int64) int {
	return int(10*v-5*max(0, v-3)) + 1
}

// concurrentBlock: every store gets counter=v, ten new keys, and loses half of block v-3's keys.
func concurrentBlock(t *testing.T, ms *MultiStore, v int64) {
	blk := ms.Working()
	for _, name := range ms.Names() {
		tx := blk.Branch()
		s := tx.Store(name)
		require.NoError(t, s.Set([]byte("counter"), binary.BigEndian.AppendUint64(nil, uint64(v))))
		for i := v * 10; i < v*10+10; i++ {
			require.NoError(t, s.Set([]byte(fmt.Sprintf("k%05d", i)), []byte(fmt.Sprint(i))))
		}
		for i := (v - 3) * 10; v > 3 && i < (v-3)*10+5; i++ {
			require.NoError(t, s.Delete([]byte(fmt.Sprintf("k%05d", i))))
		}
		require.NoError(t, tx.Write())
	}
	require.NoError(t, blk.Write())
	_ = ms.WorkingHash()
	id, err := ms.Commit()
	require.NoError(t, err)
	require.Equal(t, v, id.Version)
}

// Readers of committed versions run while blocks execute and commit (run with -race).
func TestConcurrentReadsDuringCommit(t *testing.T) {
	pruning := PruningOptions{KeepRecent: 4, Interval: 5}
	ms, _, _ := openTest(t, "pebbledb", Options{Pruning: pruning, IAVLCacheSize: 1000})
	concurrentBlock(t, ms, 1)

	var done atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				if err := readLatest(ms, pruning); err != nil {
					errs <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	for v := int64(2); v <= 40; v++ {
		concurrentBlock(t, ms, v)
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	require.Positive(t, reads.Load())
	t.Logf("%d snapshot reads during 40 blocks", reads.Load())
}

// readLatest checks a consistent snapshot of the latest version; an error is only acceptable
// if the version was pruned meanwhile.
func readLatest(ms *MultiStore, pruning PruningOptions) error {
	id := ms.LastCommitID()
	err := checkSnapshot(ms, id)
	if err != nil && ms.LastCommitID().Version-id.Version < int64(pruning.KeepRecent) {
		return fmt.Errorf("version %d: %w", id.Version, err)
	}
	return nil
}

func checkSnapshot(ms *MultiStore, id CommitID) error {
	b, err := ms.BranchAt(id.Version)
	if err != nil {
		return err
	}
	for _, name := range ms.Names() {
		s := b.Store(name)
		c, err := s.Get([]byte("counter"))
		if err != nil {
			return err
		}
		if got := int64(binary.BigEndian.Uint64(c)); got != id.Version {
			return fmt.Errorf("%s: counter %d", name, got)
		}
	}
	// CheckTx-style nested write over the snapshot.
	tx := b.Branch()
	s := tx.Store("bank")
	if err := s.Set([]byte("k00000"), []byte("x")); err != nil {
		return err
	}
	if err := s.Delete([]byte("counter")); err != nil {
		return err
	}
	if err := tx.Write(); err != nil {
		return err
	}
	n := 0
	it, err := b.Store("bank").Iterator(nil, nil)
	if err != nil {
		return err
	}
	for ; it.Valid(); it.Next() {
		n++
	}
	if err := it.Error(); err != nil {
		return err
	}
	it.Close()
	// +1 for k00000 (never written by blocks), -1 for the deleted counter.
	if want := keysAt(id.Version); n != want {
		return fmt.Errorf("bank has %d keys, want %d", n, want)
	}
	key := []byte(fmt.Sprintf("k%05d", id.Version*10+3))
	val, proof, err := ms.Query("acc", key, id.Version, true)
	if err != nil {
		return err
	}
	if val == nil {
		return fmt.Errorf("missing %s", key)
	}
	return VerifyMembership(id.Hash, "acc", key, val, proof)
}
