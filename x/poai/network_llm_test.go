package poai_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/poai/analyzer"
)

// llmServer is an OpenAI-compatible chat-completions endpoint standing in for a
// validator's model: after delay it rates every tx of `bad` 900 and others 0;
// garbage answers prose instead of JSON; hang never answers (until the client
// gives up).
func llmServer(t *testing.T, delay time.Duration, bad string, garbage, hang bool) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 2 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var txs []struct {
			Index  uint32 `json:"index"`
			Sender string `json:"sender"`
		}
		_ = json.Unmarshal([]byte(req.Messages[1].Content), &txs)
		wait := delay
		if hang {
			wait = time.Hour
		}
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
		content := "These all look fine to me."
		if !garbage {
			var parts []string
			for _, tx := range txs {
				risk := 0
				if tx.Sender == bad {
					risk = 900
				}
				parts = append(parts, fmt.Sprintf(`{"index":%d,"risk":%d}`, tx.Index, risk))
			}
			content = `{"scores":[` + strings.Join(parts, ",") + `]}`
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": content}}},
			"usage":   map[string]any{"prompt_tokens": 50 * len(txs), "completion_tokens": 10 * len(txs)},
		})
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// Four validators on LLM analyzers at 1 s blocks, each with its own model
// server: one answering in 1 s, one in 3 s (three block times), one answering
// garbage, one hanging (its calls time out after 6 s). Within a score window of
// 10 blocks the slow model takes part like the fast one; the garbage and hanging
// ones fall back to the built-in model, whose scores disagree with the LLMs'. So:
// blocks never wait for the models, the flagged txs are exactly the txs the
// models rate 900 (the median of the stake that reported), the two answering
// validators keep full agreement and the two falling back lose it, and each
// record shows the model actually used.
func TestNetworkLLMAnalyzers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four validator processes")
	}
	t.Parallel()
	const blockTime = time.Second
	bad := testutil.NewAccount(0).Addr.String() // the network's first account (network.DefaultNumAccounts)
	type model struct {
		delay          time.Duration
		garbage, hang  bool
		power          int64
		wantFullAgreed bool
	}
	models := []model{
		{delay: time.Second, power: 40, wantFullAgreed: true},
		{delay: 3 * time.Second, power: 30, wantFullAgreed: true},
		{garbage: true, power: 15},
		{hang: true, power: 15},
	}
	var vals []network.ValidatorConfig
	for i, kt := range network.DefaultKeyTypes {
		m := models[i]
		srv := llmServer(t, m.delay, bad, m.garbage, m.hang)
		vals = append(vals, network.ValidatorConfig{KeyType: kt, Power: m.power, ModifyAppConfig: func(c *app.Config) {
			c.PoAI.Analyzer = analyzer.ModeLLM
			c.PoAI.LLM.Endpoint, c.PoAI.LLM.Model, c.PoAI.LLM.Timeout = srv, "risk-test", 6*time.Second
		}})
	}
	net := network.New(t, network.Config{
		Validators:       vals,
		BlockTime:        blockTime,
		LogLevel:         network.DefaultLogLevel + ",poai-analyzer:info",
		ModifyGenesisDoc: network.VoteExtensionsFrom(1),
		ModifyGenesis: func(appState map[string]json.RawMessage, _ []network.ValidatorInfo) error {
			return network.EditPoAIParams(appState, func(p *poai.Params) {
				p.ScoreWindow = 10
				p.EmaAlpha = 200_000
				p.FlagThreshold = 800
				p.RateLimitWindow = 0 // the bad sender keeps sending: every one of its txs is judged
				p.DowntimeWindow, p.MaxMissedBlocks = 1000, 999
			})
		},
	})
	if net.Accounts[0].Addr.String() != bad {
		t.Fatalf("the network's first account is %s, not %s", net.Accounts[0].Addr, bad)
	}
	if err := net.WaitForHeight(2, time.Minute); err != nil {
		t.Fatal(err)
	}
	start, _ := net.Height(0)
	traffic(t, net, 0)
	// Long enough for blocks sent in the first seconds to leave the window.
	if _, err := net.WaitForNextBlocks(18, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	end, _ := net.Height(0)

	// Blocks never waited for the models (a 6 s timeout, a hanging server).
	var prev time.Time
	var slowest time.Duration
	for h := start; h <= end; h++ {
		hh := h
		b, err := net.Nodes[0].RPC.Block(context.Background(), &hh)
		if err != nil {
			t.Fatal(err)
		}
		if !prev.IsZero() {
			slowest = max(slowest, b.Block.Time.Sub(prev))
		}
		prev = b.Block.Time
	}
	t.Logf("heights %d-%d, slowest block interval %s", start, end, slowest)
	if slowest > 3*blockTime {
		t.Fatalf("a block took %s at %s blocks: consensus waited for a model", slowest, blockTime)
	}

	res, err := poai.NewQueryClient(net.Nodes[0].Client).FlaggedTxs(context.Background(), &poai.QueryFlaggedTxsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Txs) == 0 {
		t.Fatal("the models' 900s were never flagged")
	}
	for _, f := range res.Txs {
		if f.Sender != bad || f.Risk != 900 {
			t.Fatalf("flagged %+v: only %s's txs, at the models' median 900, should be", f, bad)
		}
	}

	ops := make([]string, len(net.Nodes))
	for i, n := range net.Nodes {
		ops[i] = n.Operator.Addr.String()
	}
	got := make([]poai.Validator, len(ops))
	for i := range ops {
		got[i] = netValidator(t, net, 0, ops[i])
		t.Logf("validator %d: agreement %d reputation %d model %q lag %d", i, got[i].AgreementAvg, got[i].Reputation, got[i].LastModelId, got[i].ReportLagBlocks)
	}
	for i, m := range models {
		switch {
		case m.wantFullAgreed && got[i].AgreementAvg != poai.PPM:
			t.Fatalf("validator %d (model answering in %s) lost agreement: %+v", i, m.delay, got[i])
		case !m.wantFullAgreed && got[i].AgreementAvg >= got[1].AgreementAvg:
			t.Fatalf("validator %d (falling back to the built-in model) did not lose agreement against the LLMs: %d", i, got[i].AgreementAvg)
		}
	}
	if got[0].LastModelId != "llm:risk-test" || got[1].LastModelId != "llm:risk-test" {
		t.Fatalf("answering validators' model ids: %q, %q", got[0].LastModelId, got[1].LastModelId)
	}
	if got[2].LastModelId != analyzer.BuiltinModelID || got[3].LastModelId != analyzer.BuiltinModelID {
		t.Fatalf("falling-back validators' model ids: %q, %q", got[2].LastModelId, got[3].LastModelId)
	}
	if got[1].ReportLagBlocks < 3 {
		t.Fatalf("the 3 s model reports %d blocks late at 1 s blocks, want >= 3", got[1].ReportLagBlocks)
	}
	if !strings.Contains(net.LogTail(0, 400), "PoAI LLM call") {
		t.Fatal("no LLM call logged")
	}
}
