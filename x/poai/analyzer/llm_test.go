package analyzer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
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
	l, err := NewLLM(LLMConfig{Endpoint: srv.URL + "/v1", Model: "risk-7b", Timeout: 300 * time.Millisecond, MaxTokens: 256, MaxTxs: 2}, NewBuiltin(BuiltinConfig{}))
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
	// max-txs = 2: the first two selected txs get the model's score, the third keeps the built-in one.
	require.Equal(t, []uint32{777, 777, builtin.Risks[2]}, rep.Risks)
	require.Contains(t, rep.Note, "llm scored 2 of 3")
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
	l, err := NewLLM(LLMConfig{Endpoint: "http://127.0.0.1:1/v1", Model: "m", Timeout: time.Second, MaxTokens: 1, MaxTxs: 1}, NewBuiltin(BuiltinConfig{}))
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
	ok := LLMConfig{Endpoint: "http://127.0.0.1:8000/v1", Model: "m", Timeout: time.Second, MaxTokens: 10, MaxTxs: 5}
	require.NoError(t, ok.Validate())
	bad := ok
	bad.Endpoint = "ftp://x"
	require.ErrorContains(t, bad.Validate(), "http:// or https://")
	bad = ok
	bad.Timeout = 0
	require.Error(t, bad.Validate())
}
