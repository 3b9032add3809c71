package sdk

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"strings"

	"github.com/selfchain/selfchain/instance/wire"
)

// AI is the user's private LLM.
type AI struct{ s *Session }

type completion struct {
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
}

// Chat sends one chat request (needs ai:chat; ai:context when req.Context is
// set) and returns the answer's text.
func (a *AI) Chat(ctx context.Context, req wire.ChatRequest) (string, error) {
	req.Stream = false
	body, _ := json.Marshal(req)
	res, err := a.s.send(ctx, http.MethodPost, wire.PathChat, body)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var c completion
	if err := decodeJSON(res.Body, &c); err != nil {
		return "", err
	}
	if len(c.Choices) == 0 {
		return "", sdkErr(wire.CodeLLMMalformed, "the answer has no choices", nil)
	}
	return c.Choices[0].Message.Content, nil
}

// Stream sends req with streaming on and yields the answer's pieces as they
// arrive; a failure (also mid-stream) is yielded as an *Error and ends the stream.
func (a *AI) Stream(ctx context.Context, req wire.ChatRequest) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		req.Stream = true
		body, _ := json.Marshal(req)
		res, err := a.s.send(ctx, http.MethodPost, wire.PathChat, body)
		if err != nil {
			yield("", err)
			return
		}
		if decodeStream(res.Body, res.StatusCode, yield) {
			// Drain what follows [DONE] (the chunked terminator) so the connection
			// is reused instead of paying a new TLS handshake. Never after an early
			// stop: the model may still be talking.
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
		}
		res.Body.Close()
	}
}

// decodeStream reads the gateway's SSE stream, yielding each piece of text, then
// an *Error for an error event, a bad chunk or a stream cut before [DONE]. It
// reports whether it read up to [DONE].
func decodeStream(r io.Reader, status int, yield func(string, error) bool) bool {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event:"); ok {
			event = strings.TrimSpace(e)
			continue
		}
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue
		}
		data = strings.TrimSpace(data)
		if event == "error" {
			var b wire.ErrorBody
			_ = json.Unmarshal([]byte(data), &b)
			if b.Error.Code == "" {
				b.Error.Code, b.Error.Message = CodeDecode, "an error event without an error body"
			}
			yield("", &Error{Code: b.Error.Code, Message: b.Error.Message, Status: status})
			return false
		}
		if data == "[DONE]" {
			return true
		}
		var c completion
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			yield("", sdkErr(CodeDecode, "a streamed chunk does not decode", err))
			return false
		}
		if len(c.Choices) > 0 && c.Choices[0].Delta.Content != "" {
			if !yield(c.Choices[0].Delta.Content, nil) {
				return false
			}
		}
	}
	if err := sc.Err(); err != nil {
		yield("", transportErr(err))
		return false
	}
	yield("", sdkErr(wire.CodeLLMMalformed, "the stream ended without [DONE]", nil))
	return false
}
