package instance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/x/permissions"
)

// Limits of a chat request.
const (
	maxChatBody     = 1 << 20
	maxChatMessages = 256
	maxAnswerBytes  = 8 << 20
	maxContextName  = 64
)

var (
	scopeChat    = permissions.Scope{Name: "ai:chat"}
	scopeContext = permissions.Scope{Name: "ai:context"}
)

// ParseChatRequest decodes and checks a chat request body.
func ParseChatRequest(body []byte) (wire.ChatRequest, error) {
	var req wire.ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return req, fmt.Errorf("chat request body: %v", err)
	}
	if len(req.Messages) == 0 || len(req.Messages) > maxChatMessages {
		return req, fmt.Errorf("messages: %d given (want 1-%d)", len(req.Messages), maxChatMessages)
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return req, fmt.Errorf("messages[%d].role %q: want system, user or assistant", i, m.Role)
		}
	}
	if req.MaxTokens < 0 {
		return req, fmt.Errorf("max_tokens must not be negative")
	}
	if c := req.Context; c != "" {
		if len(c) > maxContextName {
			return req, fmt.Errorf("context: at most %d characters", maxContextName)
		}
		for _, ch := range []byte(c) {
			if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
				return req, fmt.Errorf("context %q: use a-z 0-9 . _ -", c)
			}
		}
	}
	return req, nil
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	a, e := s.authenticate(r, maxChatBody)
	app, key, scope := "", "", scopeChat.String()
	if a != nil {
		app, key = a.sess.app, a.sess.keyName
	}
	var req wire.ChatRequest
	if e == nil {
		e = a.decide(scopeChat)
	}
	if e == nil {
		var err error
		if req, err = ParseChatRequest(a.body); err != nil {
			e = errf(http.StatusBadRequest, wire.CodeBadRequest, "%v", err)
		}
	}
	if e == nil && req.Context != "" {
		scope += " " + scopeContext.String()
		e = a.decide(scopeContext)
	}
	if e == nil && s.cfg.LLM == "" {
		e = errf(http.StatusServiceUnavailable, wire.CodeLLMUnavailable, "this instance has no LLM configured (selfinstance init --llm)")
	}
	s.audit(r, app, key, scope, e, "")
	if e != nil {
		writeErr(w, e)
		return
	}
	if err := s.proxyChat(w, r.Context(), app, req); err != nil {
		writeErr(w, err)
	}
}

// upstreamBody is what the gateway sends the model: only known fields, its own model.
type upstreamBody struct {
	Model       string             `json:"model"`
	Messages    []wire.ChatMessage `json:"messages"`
	Stream      bool               `json:"stream"`
	MaxTokens   int                `json:"max_tokens,omitempty"`
	Temperature *float64           `json:"temperature,omitempty"`
}

// chunk is the part of a streamed chat-completions chunk the gateway reads.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
}

// proxyChat sends req to the model and relays the answer; a stream passes through
// chunk by chunk. It returns an error only before anything was written.
func (s *Server) proxyChat(w http.ResponseWriter, ctx context.Context, app string, req wire.ChatRequest) *apiError {
	msgs := req.Messages
	if req.Context != "" {
		hist, err := s.db.History(app, req.Context)
		if err != nil {
			return errf(http.StatusInternalServerError, wire.CodeInternal, "%v", err)
		}
		prev := make([]wire.ChatMessage, 0, len(hist)+len(msgs))
		for _, h := range hist {
			prev = append(prev, wire.ChatMessage{Role: h[0], Content: h[1]})
		}
		msgs = append(prev, msgs...)
	}
	body, _ := json.Marshal(upstreamBody{Model: s.cfg.Model, Messages: msgs, Stream: req.Stream, MaxTokens: req.MaxTokens, Temperature: req.Temperature})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(s.cfg.LLM, "/")+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return errf(http.StatusServiceUnavailable, wire.CodeLLMUnavailable, "llm endpoint: %v", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	// A silent backend cannot hold the app: no byte within the timeout cancels the call.
	idle := time.AfterFunc(s.cfg.LLMTimeout.Duration, cancel)
	defer idle.Stop()
	res, err := s.llm.Do(hreq)
	if err != nil {
		return errf(http.StatusBadGateway, wire.CodeLLMUnavailable, "the model at %s did not answer: %v", s.cfg.LLM, err)
	}
	complete := false
	defer func() {
		if complete { // drain what follows [DONE] so the connection to the model is reused
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
		}
		res.Body.Close()
	}()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return errf(http.StatusBadGateway, wire.CodeLLMUnavailable, "the model answered HTTP %d: %s", res.StatusCode, strings.TrimSpace(string(b)))
	}
	var answer strings.Builder
	if !req.Stream {
		b, err := io.ReadAll(io.LimitReader(res.Body, maxAnswerBytes))
		if err != nil {
			return errf(http.StatusBadGateway, wire.CodeLLMUnavailable, "reading the model's answer: %v", err)
		}
		var c chunk
		if err := json.Unmarshal(b, &c); err != nil || len(c.Choices) == 0 {
			return errf(http.StatusBadGateway, wire.CodeLLMMalformed, "the model's answer is not a chat completion (%d bytes)", len(b))
		}
		answer.WriteString(c.Choices[0].Message.Content)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	} else {
		fl, _ := w.(http.Flusher)
		started := false
		start := func() {
			if !started {
				w.Header().Set("Content-Type", "text/event-stream")
				w.Header().Set("Cache-Control", "no-cache")
				w.WriteHeader(http.StatusOK)
				started = true
			}
		}
		fail := func(code, msg string) *apiError {
			if !started {
				return errf(http.StatusBadGateway, code, "%s", msg)
			}
			// Mid-stream: an SSE error event the SDK turns into a typed error.
			eb, _ := json.Marshal(wire.ErrorBody{Error: wire.Error{Code: code, Message: msg}})
			fmt.Fprintf(w, "event: error\ndata: %s\n\n", eb)
			if fl != nil {
				fl.Flush()
			}
			return nil
		}
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		done := false
		for !done && sc.Scan() {
			idle.Reset(s.cfg.LLMTimeout.Duration)
			line := sc.Text()
			data, ok := strings.CutPrefix(line, "data:")
			if !ok {
				continue // comments, event names, blank separators
			}
			data = strings.TrimSpace(data)
			if data == "[DONE]" {
				done, complete = true, true
			} else {
				var c chunk
				if err := json.Unmarshal([]byte(data), &c); err != nil {
					return fail(wire.CodeLLMMalformed, "the model streamed a chunk that is not JSON")
				}
				if len(c.Choices) > 0 {
					answer.WriteString(c.Choices[0].Delta.Content)
				}
			}
			start()
			fmt.Fprintf(w, "data: %s\n\n", data)
			if fl != nil {
				fl.Flush()
			}
		}
		if !done {
			if ctx.Err() != nil {
				return fail(wire.CodeLLMUnavailable, fmt.Sprintf("the model sent nothing for %s", s.cfg.LLMTimeout.Duration))
			}
			return fail(wire.CodeLLMMalformed, "the model's stream ended without [DONE]")
		}
	}
	if req.Context != "" {
		add := make([][2]string, 0, len(req.Messages)+1)
		for _, m := range req.Messages {
			add = append(add, [2]string{m.Role, m.Content})
		}
		add = append(add, [2]string{"assistant", answer.String()})
		if err := s.db.AppendHistory(app, req.Context, add); err != nil {
			println("selfinstance: storing chat context failed:", err.Error())
		}
	}
	return nil
}
