package mempool_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/mempool"
	"github.com/selfchain/selfchain/types"
)

// Past the admission limit a new tx waits for room; a replacement does not; a
// block's re-check (Retain) wakes the waiters; without room the wait times out.
func TestAdmitLimitWaitsForRoom(t *testing.T) {
	p := mempool.New(mempool.Limits{})
	require.True(t, p.WaitRoom("\x01", 0, 0), "no limit set")
	p.SetAdmitLimit(2, 0)
	txs, bytes := p.AdmitLimit()
	require.Equal(t, 2, txs)
	require.Zero(t, bytes)
	for seq := uint64(0); seq < 2; seq++ {
		require.True(t, p.WaitRoom("\x01", seq, 0))
		_, err := p.Insert(mk(1, seq, 100, 100, 0), 0)
		require.NoError(t, err)
	}
	require.False(t, p.WaitRoom("\x02", 0, 0), "full: a new tx has no room")
	require.False(t, p.WaitRoom("\x01", 2, 0), "full: the sender's next tx has no room either")
	require.True(t, p.WaitRoom("\x01", 1, 0), "a replacement of a pending tx needs no room")

	start := time.Now()
	require.False(t, p.WaitRoom("\x02", 0, 50*time.Millisecond))
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	got := make(chan bool)
	go func() { got <- p.WaitRoom("\x02", 0, time.Minute) }()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-got:
		t.Fatal("admitted while full")
	default:
	}
	require.Equal(t, 1, p.Retain("\x01", 1, 1), "a block committed sequence 0")
	select {
	case ok := <-got:
		require.True(t, ok)
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter was not woken by the block")
	}
	// Raising the limit wakes waiters too; Remove makes room as well.
	_, err := p.Insert(mk(2, 0, 100, 100, 0), 0)
	require.NoError(t, err)
	go func() { got <- p.WaitRoom("\x03", 0, time.Minute) }()
	time.Sleep(20 * time.Millisecond)
	p.SetAdmitLimit(3, 0)
	require.True(t, <-got)
	p.SetAdmitLimit(0, 0)
	require.True(t, p.WaitRoom("\x03", 0, 0), "limit 0: none")
}

// The byte limit holds on its own: large txs fill a block's bytes long before its
// count (hybrid-key sends are ~3.6 KB).
func TestAdmitLimitBytes(t *testing.T) {
	p := mempool.New(mempool.Limits{})
	p.SetAdmitLimit(1_000, 2_500)
	for seq := uint64(0); seq < 3; seq++ {
		require.True(t, p.WaitRoom("\x01", seq, 0), "seq %d: %d bytes pending", seq, seq*1_000)
		_, err := p.Insert(mk(1, seq, 100, 100, 1_000), 0)
		require.NoError(t, err)
	}
	require.False(t, p.WaitRoom("\x02", 0, 0), "3,000 bytes pending, limit 2,500")
	require.True(t, p.WaitRoom("\x01", 2, 0), "a replacement needs no room")
	require.True(t, p.PeerRoom("\x02", 0), "a peer's tx: twice the limit, 5,000")
	p.SetAdmitLimit(1_000, 1_500)
	require.False(t, p.PeerRoom("\x02", 0), "3,000 bytes pending: twice the limit")
	require.True(t, p.PeerRoom("\x01", 1), "a peer's replacement needs no room")
	p.SetAdmitLimit(1, 0)
	require.False(t, p.PeerRoom("\x02", 0), "3 txs pending: past twice the count limit")
	p.SetAdmitLimit(2, 0)
	require.False(t, p.WaitRoom("\x02", 0, 0), "count limit alone")
	p.SetAdmitLimit(0, 4_000)
	require.True(t, p.WaitRoom("\x02", 0, 0), "count off, bytes below the limit")
	require.Equal(t, 1, p.Retain("\x01", 1, 2), "a block committed sequence 0")
	p.SetAdmitLimit(1_000, 2_500)
	require.True(t, p.WaitRoom("\x02", 0, 0), "the block made room: 2,000 bytes pending")
}

func TestSlotsBoundConcurrency(t *testing.T) {
	s := mempool.NewSlots(2)
	var cur, peak atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				s.Acquire()
				n := cur.Add(1)
				for {
					m := peak.Load()
					if n <= m || peak.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(10 * time.Microsecond)
				cur.Add(-1)
				s.Release()
			}
		}()
	}
	wg.Wait()
	require.LessOrEqual(t, peak.Load(), int64(2))
	require.Equal(t, 0, s.InUse())

	// Lowering the limit makes new holders wait until enough have released.
	s.Acquire()
	s.Acquire()
	s.SetLimit(1)
	acquired := make(chan struct{})
	go func() { s.Acquire(); close(acquired) }()
	s.Release()
	select {
	case <-acquired:
		t.Fatal("acquired with one holder and a limit of one")
	case <-time.After(20 * time.Millisecond):
	}
	s.Release()
	select {
	case <-acquired:
	case <-time.After(10 * time.Second):
		t.Fatal("not woken")
	}
	s.Release()
	s.SetLimit(0) // at least one slot
	s.Acquire()
	s.Release()
}

// View sums the fees of the pending txs before and after a sequence, skipping
// the ones a block already committed, in one or several denoms.
func TestViewSumsPendingFees(t *testing.T) {
	p := mempool.New(mempool.Limits{})
	for i, fee := range []uint64{10, 20, 30, 40} {
		_, err := p.Insert(mk(1, 5+uint64(i), fee, 100, 0), 5)
		require.NoError(t, err)
	}
	v, err := p.View("\x01", 5, 7)
	require.NoError(t, err)
	require.Equal(t, 4, v.Pending)
	require.Equal(t, types.Coins{types.NewCoin("uself", 30)}, v.FeesBefore)
	require.Equal(t, 1, v.Later)
	require.Equal(t, types.Coins{types.NewCoin("uself", 40)}, v.FeesLater)

	v, err = p.View("\x01", 6, 9) // sequence 5 committed; 9 is the next
	require.NoError(t, err)
	require.Equal(t, 3, v.Pending)
	require.Equal(t, types.Coins{types.NewCoin("uself", 90)}, v.FeesBefore)
	require.Zero(t, v.Later)
	require.Nil(t, v.FeesLater)

	v, err = p.View("\x02", 0, 0)
	require.NoError(t, err)
	require.Equal(t, mempool.SenderView{}, v)

	// The sums are the pool's own: the pending txs' fees are untouched.
	q := p.Pending("\x01", 0)
	require.Equal(t, types.Coins{types.NewCoin("uself", 10)}, q[0].Tx.Fee())

	// Another denom: merged in denom order.
	x := mk(1, 9, 50, 100, 0)
	x.Tx.AuthInfo.Fee.Amount = types.Coins{types.NewCoin("uatom", 7), types.NewCoin("uself", 50)}
	_, err = p.Insert(x, 5)
	require.NoError(t, err)
	v, err = p.View("\x01", 5, 10)
	require.NoError(t, err)
	require.Equal(t, types.Coins{types.NewCoin("uatom", 7), types.NewCoin("uself", 150)}, v.FeesBefore)
}
