package analyzer

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func send(from, to string, amount uint64, ok bool) TxSummary {
	return TxSummary{Sender: []byte(from), MsgTypes: []string{"/selfchain.bank.v1.MsgSend"}, Success: ok,
		Transfers: []Transfer{{From: []byte(from), To: []byte(to), Denom: "uself", Amount: amount}}}
}

// A history of ordinary traffic: each of 20 senders pays a known peer ~1000 once per block.
func warmUp(m *Builtin, blocks int) {
	for h := 1; h <= blocks; h++ {
		var txs []TxSummary
		for s := 0; s < 20; s++ {
			txs = append(txs, send(fmt.Sprintf("s%d", s), fmt.Sprintf("s%d", (s+1)%20), 1000+uint64(h%7)*10, true))
		}
		m.Analyze(context.Background(), Block{Height: int64(h), Txs: txs})
	}
}

func TestBuiltinScoresPatterns(t *testing.T) {
	m := NewBuiltin(BuiltinConfig{})
	warmUp(m, 10)
	txs := []TxSummary{
		send("s1", "s2", 1010, true),      // 0: ordinary
		send("s2", "s3", 5_000_000, true), // 1: amount far above the sender's history
		{Sender: []byte("s3"), Success: true, Transfers: []Transfer{ // 2: fan-out to 6 never-seen accounts
			{To: []byte("n1"), Amount: 1000}, {To: []byte("n2"), Amount: 1000}, {To: []byte("n3"), Amount: 1000},
			{To: []byte("n4"), Amount: 1000}, {To: []byte("n5"), Amount: 1000}, {To: []byte("n6"), Amount: 1000}}},
		send("s4", "s5", 1000, false), // 3: failed
	}
	for i := 0; i < 12; i++ { // 4..15: a burst from one sender
		txs = append(txs, send("s5", "s6", 1000, true))
	}
	rep, err := m.Analyze(context.Background(), Block{Height: 11, Txs: txs})
	require.NoError(t, err)
	require.Equal(t, BuiltinModelID, rep.ModelID)
	r := rep.Risks
	require.Len(t, r, len(txs))
	require.Zero(t, r[0], "ordinary tx")
	require.Greater(t, r[1], uint32(200), "amount z-score")
	require.Greater(t, r[2], uint32(250), "fan-out")
	require.GreaterOrEqual(t, r[3], uint32(failedTx), "failure")
	require.Greater(t, r[4], uint32(200), "burst")
	for _, v := range r {
		require.LessOrEqual(t, v, uint32(MaxRisk))
	}

	// Same history, same block: same scores (honest validators agree exactly).
	m2 := NewBuiltin(BuiltinConfig{})
	warmUp(m2, 10)
	rep2, _ := m2.Analyze(context.Background(), Block{Height: 11, Txs: txs})
	require.Equal(t, rep.Risks, rep2.Risks)
}

// A sender that keeps failing accumulates risk from its failure ratio.
func TestBuiltinFailureRatio(t *testing.T) {
	m := NewBuiltin(BuiltinConfig{})
	var last uint32
	for h := 1; h <= 6; h++ {
		rep, _ := m.Analyze(context.Background(), Block{Height: int64(h), Txs: []TxSummary{send("prober", "x", 1, false)}})
		if h > 4 {
			require.Greater(t, rep.Risks[0], uint32(failedTx), "height %d", h)
		}
		last = rep.Risks[0]
	}
	require.LessOrEqual(t, last, uint32(failedTx+failRatioCap))
}

// Memory stays bounded however many senders the chain sees.
func TestBuiltinBoundedMemory(t *testing.T) {
	m := NewBuiltin(BuiltinConfig{MaxSenders: 100, MaxAccounts: 300})
	for h := 1; h <= 20; h++ {
		var txs []TxSummary
		for i := 0; i < 100; i++ {
			txs = append(txs, send(fmt.Sprintf("a%d-%d", h, i), fmt.Sprintf("b%d-%d", h, i), 5, true))
		}
		m.Analyze(context.Background(), Block{Height: int64(h), Txs: txs})
	}
	require.Equal(t, 100, m.senders.len())
	require.Equal(t, 300, m.seen.len())
}

func TestIntegerHelpers(t *testing.T) {
	for _, tc := range []struct{ v, want uint64 }{{0, 0}, {1, 1}, {3, 1}, {4, 2}, {99, 9}, {100, 10}, {1 << 62, 1 << 31}, {^uint64(0), 1<<32 - 1}} {
		require.Equal(t, tc.want, isqrt(tc.v), "isqrt(%d)", tc.v)
	}
	require.Equal(t, int64(0), log2x256(1))
	require.Equal(t, int64(256), log2x256(2))
	require.Equal(t, int64(10*256), log2x256(1024))
	require.Equal(t, int64(63*256+255), log2x256(^uint64(0)))
	require.Equal(t, int64(1*256+128), log2x256(3)) // log2(3) ~ 1.585, truncated to 1.5 at this resolution
	require.Equal(t, uint32(0), decay(1000, 64))
	require.Equal(t, uint32(875), decay(1000, 1))
}

func TestNewModes(t *testing.T) {
	a, err := New(ModeBuiltin, LLMConfig{}, BuiltinConfig{})
	require.NoError(t, err)
	require.Equal(t, BuiltinModelID, a.ModelID())
	a, err = New(ModeOff, LLMConfig{}, BuiltinConfig{})
	require.NoError(t, err)
	require.Nil(t, a)
	a, err = New(ModeRandomTestOnly, LLMConfig{}, BuiltinConfig{})
	require.NoError(t, err)
	rep, _ := a.Analyze(context.Background(), Block{Height: 1, Txs: make([]TxSummary, 50)})
	require.Len(t, rep.Risks, 50)
	_, err = New(ModeLLM, LLMConfig{}, BuiltinConfig{})
	require.ErrorContains(t, err, "endpoint and model must be set")
	_, err = New("magic", LLMConfig{}, BuiltinConfig{})
	require.ErrorContains(t, err, "unknown analyzer")
}
