package analyzer

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// LLMConfig is app.toml [poai.llm]: an OpenAI-compatible chat-completions endpoint
// (OpenLLM, vLLM, Ollama, llama.cpp's server all speak it).
type LLMConfig struct {
	// Endpoint is the API base, e.g. "http://127.0.0.1:8000/v1"; "/chat/completions" is appended.
	Endpoint string        `toml:"endpoint"`
	Model    string        `toml:"model"`
	Timeout  time.Duration `toml:"timeout"`
	// MaxTokens bounds the answer's length.
	MaxTokens int `toml:"max-tokens"`
	// APIKeyEnv names an environment variable holding a bearer token (optional);
	// the key itself never goes in app.toml.
	APIKeyEnv string `toml:"api-key-env"`
	// MaxTxs is how many of a block's selected txs the model sees: the riskiest by
	// the built-in score (triage); the rest keep the built-in scores.
	MaxTxs int `toml:"max-txs"`
	// PromptTxs is how many txs go in one prompt (what the model's context holds);
	// a block's MaxTxs are split into that many prompts, sent at once.
	PromptTxs int `toml:"prompt-txs"`
}

// DefaultLLMConfig is used for keys app.toml leaves out.
func DefaultLLMConfig() LLMConfig {
	return LLMConfig{Timeout: 2 * time.Second, MaxTokens: 2048, MaxTxs: 64, PromptTxs: 32}
}

// Validate names the bad key.
func (c LLMConfig) Validate() error {
	if c.Endpoint == "" || c.Model == "" {
		return errors.New("[poai.llm] endpoint and model must be set when analyzer = \"llm\"")
	}
	if !strings.HasPrefix(c.Endpoint, "http://") && !strings.HasPrefix(c.Endpoint, "https://") {
		return fmt.Errorf("[poai.llm] endpoint %q: want an http:// or https:// URL", c.Endpoint)
	}
	if c.Timeout <= 0 || c.MaxTokens <= 0 || c.MaxTxs <= 0 || c.PromptTxs <= 0 {
		return errors.New("[poai.llm] timeout, max-tokens, max-txs and prompt-txs must be positive")
	}
	return nil
}

// LLM asks a chat-completions endpoint to score the selected txs and falls back to
// the built-in model (always run, so its history stays current) on timeout, error
// or an answer it cannot parse, saying so in the report.
type LLM struct {
	cfg      LLMConfig
	fallback *Builtin
	client   *http.Client
	apiKey   string
}

// maxAnswerBytes bounds what is read from the endpoint.
const maxAnswerBytes = 1 << 20

// NewLLM builds the LLM analyzer with fallback as its built-in model.
func NewLLM(c LLMConfig, fallback *Builtin) (*LLM, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	l := &LLM{cfg: c, fallback: fallback, client: &http.Client{}}
	if c.APIKeyEnv != "" {
		l.apiKey = lookupEnv(c.APIKeyEnv)
	}
	return l, nil
}

func (l *LLM) ModelID() string { return "llm:" + l.cfg.Model }

func (l *LLM) Analyze(ctx context.Context, b Block) (Report, error) {
	return l.Prepare(ctx, b)(ctx), nil
}

// Prepare runs the built-in model (in height order: its history) and triages;
// the model call is the returned rest, which the pipeline may run concurrently
// with later blocks'.
func (l *LLM) Prepare(ctx context.Context, b Block) func(context.Context) Report {
	history := l.fallback.histories(b) // before the built-in model learns from this block
	base, _ := l.fallback.Analyze(ctx, b)
	ask := triage(b.Selected, base.Risks, l.cfg.MaxTxs)
	return func(ctx context.Context) Report {
		if len(ask) == 0 {
			base.ModelID = l.ModelID()
			return base
		}
		call, scored := l.askAll(ctx, b, ask, history, base.Risks)
		base.LLM = &call
		if len(scored) == 0 {
			base.Fallback = true
			base.Note = "llm failed, built-in scores used: " + call.Err.Error()
			return base
		}
		base.ModelID, base.ByModel = l.ModelID(), scored
		switch {
		case call.Err != nil:
			base.Note = fmt.Sprintf("llm scored %d of %d selected txs, built-in scores for the rest (a prompt failed: %v)", len(scored), len(b.Selected), call.Err)
		case len(scored) < len(b.Selected):
			base.Note = fmt.Sprintf("llm scored the %d riskiest of %d selected txs, built-in scores for the rest", len(scored), len(b.Selected))
		}
		return base
	}
}

// triage is the k riskiest of the selected txs by the built-in risks (ties: the
// lower index), in index order: a model that is slow per tx sees only what
// deserves a second opinion.
func triage(selected, risks []uint32, k int) []uint32 {
	ask := slices.Clone(selected)
	if len(ask) > k {
		slices.SortStableFunc(ask, func(a, b uint32) int { return cmp.Compare(risks[b], risks[a]) })
		ask = ask[:k]
		slices.Sort(ask)
	}
	return ask
}

// askAll sends ask in prompts of at most PromptTxs txs, all at once under one
// timeout, and writes each answered prompt's scores into risks. It returns the
// call (the slowest prompt's latency, summed tokens, the failures joined) and the
// tx indices the model scored, increasing.
func (l *LLM) askAll(ctx context.Context, b Block, ask []uint32, history map[string]*SenderHistory, risks []uint32) (LLMCall, []uint32) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	type answer struct {
		part   []uint32
		scores []uint32
		usage  chatUsage
		err    error
	}
	var parts [][]uint32
	for start := 0; start < len(ask); start += l.cfg.PromptTxs {
		parts = append(parts, ask[start:min(start+l.cfg.PromptTxs, len(ask))])
	}
	answers := make([]answer, len(parts))
	builtinRisks := slices.Clone(risks) // the prompts show the built-in scores; risks is written after
	start := time.Now()
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scores, usage, err := l.ask(ctx, b, part, history, builtinRisks)
			answers[i] = answer{part, scores, usage, err}
		}()
	}
	wg.Wait()
	call := LLMCall{Latency: time.Since(start), Txs: len(ask)}
	var scored []uint32
	var errs []error
	for _, a := range answers {
		call.PromptTokens += a.usage.PromptTokens
		call.CompletionTokens += a.usage.CompletionTokens
		if a.err != nil {
			errs = append(errs, a.err)
			continue
		}
		for k, idx := range a.part {
			risks[idx] = a.scores[k]
		}
		scored = append(scored, a.part...) // parts are increasing and in order
	}
	call.Err = errors.Join(errs...)
	return call, scored
}

const systemPrompt = `You are a blockchain transaction risk analyst. You receive a JSON list of transactions from one block. ` +
	`For each, give a fraud/abuse risk from 0 (benign) to 1000 (certainly malicious). ` +
	`Answer with JSON only, exactly: {"scores":[{"index":<index>,"risk":<0..1000>},...]} with one entry per transaction.`

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	MaxTokens   int           `json:"max_tokens"`
	Temperature float64       `json:"temperature"`
}

type chatResponse struct {
	Choices []struct {
		Message chatMessage `json:"message"`
	} `json:"choices"`
	Usage chatUsage `json:"usage"`
}

// chatUsage is the token count OpenAI-compatible servers report.
type chatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

type promptTx struct {
	Index     uint32   `json:"index"`
	Sender    string   `json:"sender"`
	Msgs      []string `json:"msgs"`
	Transfers []struct {
		To     string `json:"to"`
		Amount uint64 `json:"amount"`
		Denom  string `json:"denom"`
	} `json:"transfers,omitempty"`
	Success bool   `json:"success"`
	Gas     uint64 `json:"gas_used"`
	// SenderHistory is what the built-in model remembers of the sender before this
	// block; nil for a sender it has never seen.
	SenderHistory *SenderHistory `json:"sender_history"`
	// BuiltinRisk is the built-in model's score, for the model to confirm or overrule.
	BuiltinRisk uint32 `json:"builtin_risk"`
}

func (l *LLM) ask(ctx context.Context, b Block, ask []uint32, history map[string]*SenderHistory, builtin []uint32) ([]uint32, chatUsage, error) {
	txs := make([]promptTx, len(ask))
	for i, idx := range ask {
		t := &b.Txs[idx]
		p := promptTx{Index: idx, Sender: t.Sender.String(), Msgs: t.MsgTypes, Success: t.Success, Gas: t.GasUsed,
			SenderHistory: history[string(t.Sender)], BuiltinRisk: builtin[idx]}
		for _, tr := range t.Transfers {
			p.Transfers = append(p.Transfers, struct {
				To     string `json:"to"`
				Amount uint64 `json:"amount"`
				Denom  string `json:"denom"`
			}{tr.To.String(), tr.Amount, tr.Denom})
		}
		txs[i] = p
	}
	user, err := json.Marshal(txs)
	if err != nil {
		return nil, chatUsage{}, err
	}
	body, _ := json.Marshal(chatRequest{
		Model: l.cfg.Model, MaxTokens: l.cfg.MaxTokens, Temperature: 0,
		Messages: []chatMessage{{Role: "system", Content: systemPrompt}, {Role: "user", Content: string(user)}},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(l.cfg.Endpoint, "/")+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, chatUsage{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if l.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+l.apiKey)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, chatUsage{}, fmt.Errorf("timed out after %s", l.cfg.Timeout)
		}
		return nil, chatUsage{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		if ctx.Err() != nil {
			return nil, chatUsage{}, fmt.Errorf("timed out after %s", l.cfg.Timeout)
		}
		return nil, chatUsage{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, chatUsage{}, fmt.Errorf("endpoint answered HTTP %d", resp.StatusCode)
	}
	var cr chatResponse
	if err := json.Unmarshal(raw, &cr); err != nil {
		return nil, chatUsage{}, fmt.Errorf("not a chat-completions response: %v", err)
	}
	if len(cr.Choices) == 0 {
		return nil, cr.Usage, errors.New("chat-completions response has no choices")
	}
	scores, err := ParseScores(cr.Choices[0].Message.Content, ask)
	return scores, cr.Usage, err
}

// ParseScores reads {"scores":[{"index":i,"risk":r},...]} out of a model's answer
// (tolerating prose or a code fence around the JSON). Every asked index must be
// scored exactly once, with a risk in 0..MaxRisk; anything else is an error.
func ParseScores(content string, ask []uint32) ([]uint32, error) {
	start, end := strings.Index(content, "{"), strings.LastIndex(content, "}")
	if start < 0 || end < start {
		return nil, errors.New("answer holds no JSON object")
	}
	var ans struct {
		Scores []struct {
			Index *int64 `json:"index"`
			Risk  *int64 `json:"risk"`
		} `json:"scores"`
	}
	if err := json.Unmarshal([]byte(content[start:end+1]), &ans); err != nil {
		return nil, fmt.Errorf("answer is not the expected JSON: %v", err)
	}
	pos := make(map[uint32]int, len(ask))
	for i, idx := range ask {
		pos[idx] = i
	}
	out := make([]uint32, len(ask))
	got := make([]bool, len(ask))
	for _, s := range ans.Scores {
		if s.Index == nil || s.Risk == nil {
			return nil, errors.New("a score lacks index or risk")
		}
		if *s.Index < 0 || *s.Index > 1<<32-1 {
			return nil, fmt.Errorf("score for unknown tx index %d", *s.Index)
		}
		i, ok := pos[uint32(*s.Index)]
		if !ok {
			return nil, fmt.Errorf("score for unknown tx index %d", *s.Index)
		}
		if got[i] {
			return nil, fmt.Errorf("tx index %d scored twice", *s.Index)
		}
		if *s.Risk < 0 || *s.Risk > MaxRisk {
			return nil, fmt.Errorf("risk %d of tx %d is outside 0..%d", *s.Risk, *s.Index, MaxRisk)
		}
		got[i], out[i] = true, uint32(*s.Risk)
	}
	for i, ok := range got {
		if !ok {
			return nil, fmt.Errorf("tx index %d not scored", ask[i])
		}
	}
	return out, nil
}
