package mempool_test

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/mempool"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/types"
)

// mk builds a pending tx of sender s with sequence seq, fee and gas; size pads its
// bytes. The hash covers all of them, so a replacement is a different tx.
func mk(s byte, seq, fee, gas uint64, size int) *mempool.Tx {
	bz := make([]byte, max(size, 25))
	bz[0] = s
	binary.BigEndian.PutUint64(bz[1:], seq)
	binary.BigEndian.PutUint64(bz[9:], fee)
	binary.BigEndian.PutUint64(bz[17:], gas)
	t := &tx.Tx{Signer: []byte{s}, Hash: sha256.Sum256(bz), Size: len(bz)}
	t.AuthInfo.SignerInfos = []tx.SignerInfo{{Sequence: seq}}
	t.AuthInfo.Fee = tx.Fee{Amount: types.Coins{types.NewCoin("uself", fee)}, GasLimit: gas}
	return mempool.NewTx(t, bz)
}

func TestSequenceOrderAndGaps(t *testing.T) {
	p := mempool.New(mempool.Limits{})
	_, err := p.Insert(mk(1, 5, 100, 100, 0), 5)
	require.NoError(t, err)
	_, err = p.Insert(mk(1, 7, 100, 100, 0), 5)
	require.ErrorIs(t, err, mempool.ErrSequenceGap)
	_, err = p.Insert(mk(1, 4, 100, 100, 0), 5)
	require.ErrorIs(t, err, mempool.ErrSequenceStale)
	_, err = p.Insert(mk(1, 6, 100, 100, 0), 5)
	require.NoError(t, err)
	_, err = p.Insert(mk(1, 6, 100, 100, 0), 5)
	require.ErrorIs(t, err, mempool.ErrDuplicate)
	n, _ := p.Size()
	require.Equal(t, 2, n)
	// A block used sequence 5: Insert with the new committed sequence drops it.
	_, err = p.Insert(mk(1, 7, 100, 100, 0), 6)
	require.NoError(t, err)
	require.Len(t, p.Pending("\x01", 0), 2)
}

func TestReplacementNeedsAHigherFee(t *testing.T) {
	p := mempool.New(mempool.Limits{})
	a := mk(1, 0, 1000, 100, 0)
	_, err := p.Insert(a, 0)
	require.NoError(t, err)
	_, err = p.Insert(mk(1, 1, 1000, 100, 0), 0)
	require.NoError(t, err)
	// 5% more: refused; the same fee for less gas (a higher price) but no higher fee: refused.
	_, err = p.Insert(mk(1, 0, 1050, 100, 0), 0)
	require.ErrorIs(t, err, mempool.ErrUnderpriced)
	_, err = p.Insert(mk(1, 0, 1000, 50, 0), 0)
	require.ErrorIs(t, err, mempool.ErrUnderpriced)
	b := mk(1, 0, 1100, 100, 0)
	_, err = p.Insert(b, 0)
	require.NoError(t, err)
	q := p.Pending("\x01", 0)
	require.Len(t, q, 2)
	require.Equal(t, b, q[0])
	require.False(t, p.Has(a.Tx.Hash))
	n, size := p.Size()
	require.Equal(t, 2, n)
	require.Equal(t, int64(len(b.Bytes)+len(q[1].Bytes)), size)
	// The replaced tx is not gossiped; the replacement is.
	require.Len(t, p.TakeGossip(0, 0), 2)
	require.Empty(t, p.TakeGossip(0, 0))
}

func TestEvictionUnderCountLimit(t *testing.T) {
	p := mempool.New(mempool.Limits{MaxTxs: 3})
	for s, fee := range []uint64{300, 100, 200} {
		_, err := p.Insert(mk(byte(s), 0, fee, 100, 0), 0)
		require.NoError(t, err)
	}
	// Not above the lowest: full.
	_, err := p.Insert(mk(9, 0, 100, 100, 0), 0)
	require.ErrorIs(t, err, mempool.ErrFull)
	ev, err := p.Insert(mk(9, 0, 150, 100, 0), 0)
	require.NoError(t, err)
	require.Len(t, ev, 1)
	require.Equal(t, uint64(100), ev[0].Fee)
	n, _ := p.Size()
	require.Equal(t, 3, n)
	// A sender's own earlier txs are never evicted for its later ones.
	_, err = p.Insert(mk(9, 1, 10_000, 100, 0), 0)
	require.NoError(t, err)
	require.Len(t, p.Pending("\x09", 0), 2)
}

func TestEvictionUnderByteLimitKeepsQueuesGapless(t *testing.T) {
	p := mempool.New(mempool.Limits{MaxBytes: 1000})
	// Sender 1: three txs, the last the cheapest; sender 2: one mid-priority tx.
	for seq, fee := range []uint64{500, 400, 100} {
		_, err := p.Insert(mk(1, uint64(seq), fee, 100, 200), 0)
		require.NoError(t, err)
	}
	_, err := p.Insert(mk(2, 0, 300, 100, 300), 0)
	require.NoError(t, err)
	// 900 bytes used; 450 more needs two queue ends out: 1's seq 2 (100), then 2's (300).
	ev, err := p.Insert(mk(3, 0, 350, 100, 450), 0)
	require.NoError(t, err)
	require.Len(t, ev, 2)
	_, size := p.Size()
	require.LessOrEqual(t, size, int64(1000))
	q := p.Pending("\x01", 0)
	require.Len(t, q, 2)
	require.Equal(t, uint64(1), q[1].Seq)
	// A tx bigger than what lower-priority txs free: full, nothing changed.
	before, beforeBytes := p.Size()
	_, err = p.Insert(mk(4, 0, 360, 100, 990), 0)
	require.ErrorIs(t, err, mempool.ErrFull)
	after, afterBytes := p.Size()
	require.Equal(t, before, after)
	require.Equal(t, beforeBytes, afterBytes)
}

// Property: Select offers the highest priority first across senders and each
// sender's txs in sequence order, whatever the insertion order: every tx taken
// ranks at least as high as every other sender's next tx at that moment.
func TestSelectOrder(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for round := 0; round < 50; round++ {
		p := mempool.New(mempool.Limits{})
		queues := map[string][]*mempool.Tx{}
		for i := 0; i < 200; i++ {
			s := byte(r.Intn(20))
			k := string([]byte{s})
			x := mk(s, uint64(len(queues[k])), uint64(1+r.Intn(1000)), uint64(1+r.Intn(500)), 0)
			_, err := p.Insert(x, 0)
			require.NoError(t, err)
			queues[k] = append(queues[k], x)
		}
		taken := map[string]int{}
		count := 0
		p.Select(func(x *mempool.Tx) mempool.Verdict {
			require.Equal(t, uint64(taken[x.Sender]), x.Seq, "round %d: sender order", round)
			for s, q := range queues {
				if i := taken[s]; s != x.Sender && i < len(q) {
					require.LessOrEqual(t, q[i].Priority, x.Priority, "round %d: priority order", round)
				}
			}
			taken[x.Sender]++
			count++
			return mempool.Take
		})
		require.Equal(t, 200, count)
	}
}

func TestSelectSkipSenderAndStop(t *testing.T) {
	p := mempool.New(mempool.Limits{})
	for seq := uint64(0); seq < 3; seq++ {
		_, _ = p.Insert(mk(1, seq, 1000, 100, 0), 0)
		_, _ = p.Insert(mk(2, seq, 10, 100, 0), 0)
	}
	var got []string
	p.Select(func(x *mempool.Tx) mempool.Verdict {
		if x.Sender == "\x01" && x.Seq == 1 {
			return mempool.SkipSender
		}
		got = append(got, fmt.Sprint(x.Sender[0], x.Seq))
		if len(got) == 3 {
			return mempool.Stop
		}
		return mempool.Take
	})
	require.Equal(t, []string{"1 0", "2 0", "2 1"}, got)
}

func TestRetainAndRemove(t *testing.T) {
	p := mempool.New(mempool.Limits{})
	for seq := uint64(3); seq < 8; seq++ {
		_, err := p.Insert(mk(1, seq, 100, 100, 0), 3)
		require.NoError(t, err)
	}
	// A block used 3 and 4; the account can pay for two more.
	require.Equal(t, 3, p.Retain("\x01", 5, 2))
	q := p.Pending("\x01", 0)
	require.Len(t, q, 2)
	require.Equal(t, uint64(5), q[0].Seq)
	require.Equal(t, 2, p.Remove(q[0].Tx.Hash))
	n, size := p.Size()
	require.Zero(t, n)
	require.Zero(t, size)
	require.Empty(t, p.TakeGossip(0, 0), "removed txs are not gossiped")
}

func TestTakeGossipLimits(t *testing.T) {
	p := mempool.New(mempool.Limits{})
	for seq := uint64(0); seq < 10; seq++ {
		_, err := p.Insert(mk(1, seq, 100, 100, 100), 0)
		require.NoError(t, err)
	}
	require.Len(t, p.TakeGossip(350, 0), 3)
	require.Len(t, p.TakeGossip(0, 250), 2)
	require.Len(t, p.TakeGossip(0, 0), 5)
}

// Many goroutines insert for many senders at once (run with -race): every sender
// ends with a gapless queue holding all its txs, and the totals add up.
func TestConcurrentInserts(t *testing.T) {
	const senders, perSender = 64, 50
	p := mempool.New(mempool.Limits{})
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s byte) {
			defer wg.Done()
			for seq := uint64(0); seq < perSender; seq++ {
				l := p.SenderLock(string([]byte{s}))
				l.Lock()
				_, err := p.Insert(mk(s, seq, 100+seq, 100, 0), 0)
				l.Unlock()
				if err != nil {
					t.Error(err)
				}
			}
		}(byte(s))
	}
	// Readers at the same time: gossip and selection.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 100; i++ {
			p.TakeGossip(0, 0)
			p.Select(func(*mempool.Tx) mempool.Verdict { return mempool.Take })
		}
	}()
	wg.Wait()
	<-done
	n, _ := p.Size()
	require.Equal(t, senders*perSender, n)
	for s := 0; s < senders; s++ {
		q := p.Pending(string([]byte{byte(s)}), 0)
		require.Len(t, q, perSender)
		for i, x := range q {
			require.Equal(t, uint64(i), x.Seq)
		}
	}
}

func TestPriority(t *testing.T) {
	x := mk(1, 0, 1, 3, 0)
	require.Equal(t, uint64(333_333), x.Priority)
	big := mk(1, 0, ^uint64(0), 1, 0)
	require.Equal(t, ^uint64(0), big.Priority)
	require.True(t, errors.Is(fmt.Errorf("%w", mempool.ErrFull), mempool.ErrFull))
}

// Nobody reaps (broadcast off): the gossip queue does not outgrow the pool.
func TestGossipQueueBoundedWithoutReaping(t *testing.T) {
	p := mempool.New(mempool.Limits{})
	for seq := uint64(0); seq < 5000; seq++ {
		_, err := p.Insert(mk(1, seq, 100, 100, 0), seq) // each commit drops the previous
		require.NoError(t, err)
	}
	n, _ := p.Size()
	require.Equal(t, 1, n)
	require.LessOrEqual(t, p.GossipLen(), 2*n+1025)
}
