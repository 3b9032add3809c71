package analyzer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chatServer speaks the chat-completions format; answer builds the assistant's
// content from the request's tx list.
func chatServer(t *testing.T, answer func(txs []promptTx) (string, int, time.Duration)) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		var req chatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "risk-7b" || len(req.Messages) != 2 || req.MaxTokens != 256 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var txs []promptTx
		_ = json.Unmarshal([]byte(req.Messages[1].Content), &txs)
		content, code, delay := answer(txs)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if code != http.StatusOK {
			http.Error(w, "overloaded", code)
			return
		}
		resp := map[string]any{"id": "x", "object": "chat.completion",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 100 * len(txs), "completion_tokens": 12 * len(txs), "total_tokens": 112 * len(txs)}}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func llmFor(t *testing.T, srv *httptest.Server) *LLM {
	l, err := NewLLM(LLMConfig{Endpoint: srv.URL + "/v1", Model: "risk-7b", Timeout: 300 * time.Millisecond, MaxTokens: 256, MaxTxs: 2, PromptTxs: 2}, NewBuiltin(BuiltinConfig{}))
	require.NoError(t, err)
	return l
}

func block3() Block {
	return Block{Height: 5, Hash: make([]byte, 32), Selected: []uint32{0, 1, 2}, Txs: []TxSummary{
		send("a", "b", 10, true), send("c", "d", 10, true), send("e", "f", 10, false)}}
}

func scoresJSON(txs []promptTx, risk int) string {
	var parts []string
	for _, tx := range txs {
		parts = append(parts, fmt.Sprintf(`{"index":%d,"risk":%d}`, tx.Index, risk))
	}
	return `{"scores":[` + strings.Join(parts, ",") + `]}`
}

func TestLLMAnswerIsUsed(t *testing.T) {
	srv, _ := chatServer(t, func(txs []promptTx) (string, int, time.Duration) {
		return "Here you go:\n```json\n" + scoresJSON(txs, 777) + "\n```", 200, 0
	})
	b := block3()
	builtin, _ := NewBuiltin(BuiltinConfig{}).Analyze(context.Background(), b)
	rep, err := llmFor(t, srv).Analyze(context.Background(), b)
	require.NoError(t, err)
	require.False(t, rep.Fallback)
	require.Equal(t, "llm:risk-7b", rep.ModelID)
	// max-txs = 2: the two riskiest by the built-in model (the failed tx 2, then
	// tx 0 of the tie) get the model's score, tx 1 keeps the built-in one.
	require.Greater(t, builtin.Risks[2], builtin.Risks[0])
	require.Equal(t, []uint32{777, builtin.Risks[1], 777}, rep.Risks)
	require.Equal(t, []uint32{0, 2}, rep.ByModel)
	require.Contains(t, rep.Note, "llm scored the 2 riskiest of 3")
	// The call is described for the node's log and metrics.
	require.NotNil(t, rep.LLM)
	require.NoError(t, rep.LLM.Err)
	require.Equal(t, LLMCall{Latency: rep.LLM.Latency, Txs: 2, PromptTokens: 200, CompletionTokens: 24}, *rep.LLM)
	require.Positive(t, rep.LLM.Latency)
}

func TestLLMFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(txs []promptTx) (string, int, time.Duration)
		note   string
	}{
		{"garbage", func([]promptTx) (string, int, time.Duration) { return "I think they are all fine!", 200, 0 }, "no JSON object"},
		{"wrong JSON", func([]promptTx) (string, int, time.Duration) { return `{"scores": "low"}`, 200, 0 }, "not the expected JSON"},
		{"risk out of range", func(txs []promptTx) (string, int, time.Duration) { return scoresJSON(txs, 5000), 200, 0 }, "outside 0..1000"},
		{"missing a tx", func(txs []promptTx) (string, int, time.Duration) { return scoresJSON(txs[:1], 5), 200, 0 }, "not scored"},
		{"unknown index", func([]promptTx) (string, int, time.Duration) {
			return `{"scores":[{"index":0,"risk":1},{"index":9,"risk":1}]}`, 200, 0
		}, "unknown tx index 9"},
		{"slow", func(txs []promptTx) (string, int, time.Duration) { return scoresJSON(txs, 1), 200, 2 * time.Second }, "timed out"},
		{"http error", func([]promptTx) (string, int, time.Duration) { return "", 503, 0 }, "HTTP 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := chatServer(t, tc.answer)
			b := block3()
			want, _ := NewBuiltin(BuiltinConfig{}).Analyze(context.Background(), b)
			start := time.Now()
			rep, err := llmFor(t, srv).Analyze(context.Background(), b)
			require.NoError(t, err)
			require.Less(t, time.Since(start), time.Second, "the timeout bounds the wait")
			require.True(t, rep.Fallback)
			require.Contains(t, rep.Note, tc.note)
			require.Equal(t, BuiltinModelID, rep.ModelID, "the scores are the built-in model's, and the extension says so")
			require.Equal(t, want.Risks, rep.Risks)
			require.Equal(t, int32(1), calls.Load())
			require.NotNil(t, rep.LLM, "a failed call is described too")
			require.ErrorContains(t, rep.LLM.Err, tc.note)
		})
	}
	// Nothing listening at all.
	l, err := NewLLM(LLMConfig{Endpoint: "http://127.0.0.1:1/v1", Model: "m", Timeout: time.Second, MaxTokens: 1, MaxTxs: 1, PromptTxs: 1}, NewBuiltin(BuiltinConfig{}))
	require.NoError(t, err)
	rep, _ := l.Analyze(context.Background(), block3())
	require.True(t, rep.Fallback)
}

func TestParseScoresRejectsDuplicates(t *testing.T) {
	_, err := ParseScores(`{"scores":[{"index":1,"risk":1},{"index":1,"risk":2}]}`, []uint32{1})
	require.ErrorContains(t, err, "scored twice")
	got, err := ParseScores(`noise {"scores":[{"index":4,"risk":0},{"index":1,"risk":1000}]} noise`, []uint32{1, 4})
	require.NoError(t, err)
	require.Equal(t, []uint32{1000, 0}, got)
}

func TestLLMConfigValidate(t *testing.T) {
	ok := LLMConfig{Endpoint: "http://127.0.0.1:8000/v1", Model: "m", Timeout: time.Second, MaxTokens: 10, MaxTxs: 5, PromptTxs: 5}
	require.NoError(t, ok.Validate())
	bad := ok
	bad.Endpoint = "ftp://x"
	require.ErrorContains(t, bad.Validate(), "http:// or https://")
	bad = ok
	bad.Timeout = 0
	require.Error(t, bad.Validate())
	bad = ok
	bad.PromptTxs = 0
	require.ErrorContains(t, bad.Validate(), "prompt-txs")
}

// A block's riskiest max-txs go to the model in prompts of prompt-txs, sent at
// once (the block takes one model latency, not one per prompt); each prompt shows
// the sender's history and the built-in score; a failed prompt leaves its txs
// with the built-in scores and the others are still used.
func TestLLMTriageAndBatches(t *testing.T) {
	var mu sync.Mutex
	var prompts [][]promptTx
	var inFlight, maxInFlight atomic.Int32
	hasTx6 := func(txs []promptTx) bool {
		return slices.ContainsFunc(txs, func(tx promptTx) bool { return tx.Index == 6 })
	}
	srv, calls := chatServer(t, func(txs []promptTx) (string, int, time.Duration) {
		mu.Lock()
		prompts = append(prompts, txs)
		mu.Unlock()
		n := inFlight.Add(1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		time.Sleep(300 * time.Millisecond) // both prompts are in flight together
		inFlight.Add(-1)
		if hasTx6(txs) {
			return "no idea", 200, 0 // one prompt's answer is unusable
		}
		return scoresJSON(txs, 900), 200, 0
	})
	l, err := NewLLM(LLMConfig{Endpoint: srv.URL + "/v1", Model: "risk-7b", Timeout: 2 * time.Second, MaxTokens: 256, MaxTxs: 4, PromptTxs: 2}, NewBuiltin(BuiltinConfig{}))
	require.NoError(t, err)
	// History first: "a" sends 100 three blocks in a row.
	for h := int64(1); h <= 3; h++ {
		_, err := l.Analyze(context.Background(), Block{Height: h, Hash: make([]byte, 32), Selected: []uint32{0}, Txs: []TxSummary{send("a", "b", 100, true)}})
		require.NoError(t, err)
	}
	calls.Store(0)
	mu.Lock()
	prompts = nil
	mu.Unlock()
	// Block 4: 8 txs; the failed ones (1, 3, 6) and a's outlier amount (4) are the riskiest.
	b := Block{Height: 4, Hash: make([]byte, 32), Selected: []uint32{0, 1, 2, 3, 4, 5, 6, 7}}
	for i := 0; i < 8; i++ {
		b.Txs = append(b.Txs, send(fmt.Sprintf("s%d", i), "b", 10, i != 1 && i != 3 && i != 6))
	}
	b.Txs[4] = send("a", "z", 1_000_000_000, true)
	builtin := NewBuiltin(BuiltinConfig{})
	for h := int64(1); h <= 3; h++ {
		_, _ = builtin.Analyze(context.Background(), Block{Height: h, Hash: make([]byte, 32), Txs: []TxSummary{send("a", "b", 100, true)}})
	}
	want, _ := builtin.Analyze(context.Background(), b)

	rep, err := l.Analyze(context.Background(), b)
	require.NoError(t, err)
	require.Equal(t, int32(2), calls.Load(), "4 txs in prompts of 2")
	require.Equal(t, int32(2), maxInFlight.Load(), "the prompts are sent at once")
	var asked []uint32
	for _, p := range prompts {
		require.Len(t, p, 2)
		for _, tx := range p {
			asked = append(asked, tx.Index)
			require.Equal(t, want.Risks[tx.Index], tx.BuiltinRisk)
			if tx.Index == 4 {
				require.NotNil(t, tx.SenderHistory, "a was seen before")
				require.Equal(t, uint32(3), tx.SenderHistory.Txs)
				require.InDelta(t, 100, float64(tx.SenderHistory.TypicalAmount), 3)
			} else {
				require.Nil(t, tx.SenderHistory, "a sender never seen")
			}
		}
	}
	slices.Sort(asked)
	require.Equal(t, []uint32{1, 3, 4, 6}, asked, "the four riskiest by the built-in model")
	// The prompt holding tx 6 failed: its txs keep built-in scores; the other's are the model's.
	require.False(t, rep.Fallback)
	require.Equal(t, "llm:risk-7b", rep.ModelID)
	failed := map[uint32]bool{}
	for _, p := range prompts {
		if hasTx6(p) {
			for _, tx := range p {
				failed[tx.Index] = true
			}
		}
	}
	for i := range b.Txs {
		switch {
		case failed[uint32(i)] || !slices.Contains(asked, uint32(i)):
			require.Equal(t, want.Risks[i], rep.Risks[i], "tx %d keeps the built-in score", i)
		default:
			require.Equal(t, uint32(900), rep.Risks[i], "tx %d has the model's score", i)
		}
	}
	require.Contains(t, rep.Note, "a prompt failed")
	var byModel []uint32
	for _, idx := range asked {
		if !failed[idx] {
			byModel = append(byModel, idx)
		}
	}
	require.Equal(t, byModel, rep.ByModel, "the report says which txs the model scored")
	require.Equal(t, 4, rep.LLM.Txs)
	require.Error(t, rep.LLM.Err)
}
