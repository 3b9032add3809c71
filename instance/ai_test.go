package instance

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/instance/wire"
)

func llmServer(t testing.TB, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

var chatMsg = []wire.ChatMessage{{Role: "user", Content: "hi"}}

// chatOnce runs proxyChat; it returns the error code before anything was written,
// or the body written.
func chatOnce(t *testing.T, s *Server, stream bool) (string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	done := make(chan *apiError, 1)
	go func() {
		done <- s.proxyChat(rec, context.Background(), "app", wire.ChatRequest{Messages: chatMsg, Stream: stream})
	}()
	select {
	case e := <-done:
		if e != nil {
			return e.code, ""
		}
		return "", rec.Body.String()
	case <-time.After(10 * time.Second):
		t.Fatal("proxyChat hung")
	}
	return "", ""
}

func TestChatBackendFailures(t *testing.T) {
	closed := func() string { // a port nothing listens on
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/v1"
	}()
	slow := llmServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	stalls := llmServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	malformed := llmServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {not json\n\n")
	})
	noDone := llmServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n")
	})
	notChat := llmServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"hello":"world"}`) })
	status500 := llmServer(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "model not loaded", 500) })

	for _, c := range []struct {
		name, url string
		stream    bool
		code      string // before anything was written
		event     string // an SSE error event mid-stream
	}{
		{"down", closed, false, wire.CodeLLMUnavailable, ""},
		{"slow", slow, true, wire.CodeLLMUnavailable, ""},
		{"stalls mid-stream", stalls, true, "", wire.CodeLLMUnavailable},
		{"malformed chunk", malformed, true, "", wire.CodeLLMMalformed},
		{"no [DONE]", noDone, true, "", wire.CodeLLMMalformed},
		{"not a completion", notChat, false, wire.CodeLLMMalformed, ""},
		{"HTTP 500", status500, false, wire.CodeLLMUnavailable, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testServer(t, c.url, 300*time.Millisecond)
			start := time.Now()
			code, body := chatOnce(t, s, c.stream)
			if time.Since(start) > 3*time.Second {
				t.Fatalf("took %s", time.Since(start))
			}
			if code != c.code {
				t.Fatalf("code %q, want %q (body %q)", code, c.code, body)
			}
			if c.event != "" && (!strings.Contains(body, "event: error") || !strings.Contains(body, c.event)) {
				t.Fatalf("body %q lacks an error event %q", body, c.event)
			}
		})
	}
}

func TestChatStreamPassesChunksThrough(t *testing.T) {
	url := llmServer(t, func(w http.ResponseWriter, r *http.Request) {
		for _, p := range []string{"a", "b"} {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", p)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	s := testServer(t, url, time.Second)
	code, body := chatOnce(t, s, true)
	want := "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\ndata: [DONE]\n\n"
	if code != "" || body != want {
		t.Fatalf("code %q body %q", code, body)
	}
}
