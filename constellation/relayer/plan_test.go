package relayer

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/bridge"
)

func TestPlanTxs(t *testing.T) {
	upd := &bridge.MsgUpdateClient{ClientId: "client-0"}
	recv := func(seq uint64) runtime.Msg {
		return &bridge.MsgRecvPacket{Packet: bridge.Packet{Sequence: seq}}
	}
	b1, b2 := []runtime.Msg{recv(1), recv(2)}, []runtime.Msg{recv(3)}

	txs, alone := planTxs(nil, [][]runtime.Msg{b1, b2})
	require.False(t, alone)
	require.Equal(t, [][]runtime.Msg{b1, b2}, txs, "no update: the batches as they are")

	txs, alone = planTxs(upd, [][]runtime.Msg{b1})
	require.False(t, alone)
	require.Equal(t, [][]runtime.Msg{{upd, b1[0], b1[1]}}, txs, "one batch carries the update")

	txs, alone = planTxs(upd, [][]runtime.Msg{b1, b2})
	require.True(t, alone)
	require.Equal(t, [][]runtime.Msg{{upd}, b1, b2}, txs, "several: the update once, ahead of them")
}

// TestSkipUpdateNeverProvesUnheldHeight: over random bridges — packets committed at
// various heights of the source, a client holding some of its heights, a newer header
// — the txs the deliverer builds (skipUpdate, then planTxs) never carry a proof at a
// height the client does not hold by then, and every proof is of a state in which its
// packet was committed. The update is skipped whenever the held height proves them all.
func TestSkipUpdateNeverProvesUnheldHeight(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	skipped := 0
	for round := range 2000 {
		// Packet i was committed in block commitAt[i]: provable with header commitAt[i]+1.
		n := 1 + rng.Intn(80)
		commitAt := make([]uint64, n)
		tip := uint64(10 + rng.Intn(20))
		for i := range commitAt {
			commitAt[i] = 2 + uint64(rng.Intn(int(tip-2)))
		}
		// Sequences are given out in the order sends execute.
		sort.Slice(commitAt, func(i, j int) bool { return commitAt[i] < commitAt[j] })
		heldHeights := map[uint64]bool{}
		latest := 2 + uint64(rng.Intn(int(tip-1))) // the client's latest height, <= tip
		heldHeights[latest] = true
		for range 3 {
			heldHeights[2+uint64(rng.Intn(int(latest-1)))] = true
		}
		held := target{height: latest}
		tgt := held
		if tip > latest {
			tgt = target{height: tip, update: &bridge.MsgUpdateClient{ClientId: "client-0", Header: bridge.Header{TrustedHeight: latest}}}
		}
		committedAt := func(version uint64) []bridge.Packet {
			var out []bridge.Packet
			for i, h := range commitAt {
				if h <= version {
					out = append(out, bridge.Packet{Sequence: uint64(i + 1)})
				}
			}
			return out
		}
		todo := committedAt(tgt.height - 1)
		if len(todo) == 0 {
			continue
		}
		// As deliver asks: is the newest packet to deliver committed as of the held state?
		chosen := skipUpdate(tgt, held, func(h target) bool { return covers(seqsOf(committedAt(h.height-1)), todo[len(todo)-1:]) })
		if chosen.update == nil && tgt.update != nil {
			skipped++
		}
		var batches [][]runtime.Msg
		for start := 0; start < len(todo); start += MaxBatch {
			var msgs []runtime.Msg
			for _, p := range todo[start:min(start+MaxBatch, len(todo))] {
				msgs = append(msgs, &bridge.MsgRecvPacket{Packet: p, ProofHeight: chosen.height})
			}
			batches = append(batches, msgs)
		}
		txs, _ := planTxs(chosen.lead(), batches)
		require.NoError(t, verifiable(heldHeights, tip, txs, func(seq uint64) uint64 { return commitAt[seq-1] }), "round %d", round)
		// Skipped exactly when the held height proves them all.
		all := true
		for _, p := range todo {
			all = all && commitAt[p.Sequence-1] <= latest-1
		}
		require.Equal(t, all && tgt.update != nil && latest >= 2, chosen.update == nil && tgt.update != nil, "round %d", round)
	}
	require.Positive(t, skipped, "no round skipped the update: the test proves nothing")
}

// verifiable replays txs against a client holding heights (updates add theirs, up to
// the counterparty's tip) and checks each packet proof: at a held height, of a state
// in which the packet was committed.
func verifiable(held map[uint64]bool, tip uint64, txs [][]runtime.Msg, committedIn func(seq uint64) uint64) error {
	have := map[uint64]bool{}
	for h := range held {
		have[h] = true
	}
	for i, tx := range txs {
		for _, m := range tx {
			switch m := m.(type) {
			case *bridge.MsgUpdateClient:
				if !have[m.Header.TrustedHeight] {
					return fmt.Errorf("tx %d: update from height %d the client does not hold", i, m.Header.TrustedHeight)
				}
				have[tip] = true
			case *bridge.MsgRecvPacket:
				if !have[m.ProofHeight] {
					return fmt.Errorf("tx %d: packet %d proven at height %d, which the client does not hold", i, m.Packet.Sequence, m.ProofHeight)
				}
				if c := committedIn(m.Packet.Sequence); c > m.ProofHeight-1 {
					return fmt.Errorf("tx %d: packet %d committed in block %d, proven against the state of %d", i, m.Packet.Sequence, c, m.ProofHeight-1)
				}
			}
		}
	}
	return nil
}

func TestSettledBy(t *testing.T) {
	now := time.Unix(1_000, 0)
	held := target{height: 9, time: now}
	p := func(seq, timeout uint64) bridge.Packet {
		return bridge.Packet{Sequence: seq, TimeoutTimestamp: timeout}
	}
	unrecHeld := map[uint64]bool{3: true, 4: true}
	require.True(t, settledBy(held, unrecHeld, []bridge.Packet{p(1, 2000), p(2, 2000)}, nil), "received as of the held state")
	require.False(t, settledBy(held, unrecHeld, []bridge.Packet{p(1, 2000), p(3, 2000)}, nil), "3 was received only later: its receipt needs a newer header")
	require.True(t, settledBy(held, unrecHeld, nil, []bridge.Packet{p(3, 1000), p(4, 999)}), "timed out by the held header's time")
	require.False(t, settledBy(held, unrecHeld, nil, []bridge.Packet{p(3, 1001)}), "times out only after the held header: the timeout needs a newer one")
	require.False(t, settledBy(held, unrecHeld, nil, []bridge.Packet{p(1, 900)}), "received as of the held state: not provably unreceived there")
}

func TestGasMemoByShape(t *testing.T) {
	upd := &bridge.MsgUpdateClient{}
	recv := &bridge.MsgRecvPacket{}
	ack := &bridge.MsgAcknowledgement{}
	require.Equal(t, shapeOf([]runtime.Msg{upd, recv, recv}), shapeOf([]runtime.Msg{upd, recv, recv}))
	require.NotEqual(t, shapeOf([]runtime.Msg{upd, recv, recv}), shapeOf([]runtime.Msg{recv, recv}), "with and without the update")
	require.NotEqual(t, shapeOf([]runtime.Msg{upd, recv}), shapeOf([]runtime.Msg{upd, ack}), "receives and acks")
	require.NotEqual(t, shapeOf([]runtime.Msg{recv, recv}), shapeOf([]runtime.Msg{recv}), "how many")

	var g gasMemo
	_, ok := g.get("a")
	require.False(t, ok)
	g.put("a", 100)
	v, ok := g.get("a")
	require.True(t, ok)
	require.EqualValues(t, 100, v)
	g.forget()
	_, ok = g.get("a")
	require.False(t, ok, "forgotten after a tx ran out of gas")
	g.put("b", 5)
	g.mu.Lock()
	e := g.m["b"]
	e.at = e.at.Add(-gasReuse - time.Second)
	g.m["b"] = e
	g.mu.Unlock()
	_, ok = g.get("b")
	require.False(t, ok, "stale")
}
