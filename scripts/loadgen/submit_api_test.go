package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// apiAnswering serves POST /txs with the given answers in turn ("200:<code>", or a
// status with an error body), then code 0; it checks every request carries the raw tx.
func apiAnswering(t *testing.T, answers []string) (*apiClient, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bz, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/txs" || r.Header.Get("Content-Type") != "application/octet-stream" || string(bz) != "\x01" {
			t.Errorf("request %s %s %q body %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"), bz)
		}
		n := int(calls.Add(1)) - 1
		a := "200:0"
		if n < len(answers) {
			a = answers[n]
		}
		w.Header().Set("Content-Type", "application/json")
		status, rest, _ := strings.Cut(a, ":")
		switch status {
		case "200":
			fmt.Fprintf(w, `{"code":%s,"codespace":"selfchain","log":"l","hash":"AB"}`, rest)
		case "409":
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"error":"tx already known to this node (tx already seen)"}`)
		case "503":
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":"mempool is full: number of txs 5 (max: 5)"}`)
		case "413":
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			fmt.Fprint(w, `{"error":"tx larger than the mempool's max_tx_bytes (1048576 bytes)"}`)
		case "502":
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `<html>proxy</html>`)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := newAPIClient(srv.URL, 4)
	if err != nil {
		t.Fatal(err)
	}
	return c, &calls
}

// The tx API's answers are classified as broadcastRetrying classifies the RPC's:
// retry codes and the "already seen" after one are resubmitted; a first 409 means
// the node has the tx (accepted); other statuses are errors errorKind can count.
func TestAPIBroadcast(t *testing.T) {
	never := func() bool { return false }
	var retries atomic.Int64
	one := []byte{1}

	c, calls := apiAnswering(t, []string{"200:32045", "409", "200:32045"})
	r, err := c.broadcast(context.Background(), one, never, &retries)
	if err != nil || r.Code != 0 || calls.Load() != 4 || retries.Load() != 3 {
		t.Fatalf("retry codes: got %+v %v after %d calls, %d retries; want code 0 after 4 calls, 3 retries", r, err, calls.Load(), retries.Load())
	}

	c, calls = apiAnswering(t, []string{"200:5"})
	r, err = c.broadcast(context.Background(), one, never, &retries)
	if err != nil || r.Code != 5 || r.Codespace != "selfchain" || r.Log != "l" || calls.Load() != 1 {
		t.Fatalf("a final code: got %+v %v after %d calls", r, err, calls.Load())
	}

	c, calls = apiAnswering(t, []string{"409"})
	r, err = c.broadcast(context.Background(), one, never, &retries)
	if err != nil || r.Code != 0 || calls.Load() != 1 {
		t.Fatalf("a first 409 is accepted: got %+v %v after %d calls", r, err, calls.Load())
	}

	for ans, kind := range map[string]string{"503": "mempool is full", "413": "api N: tx larger than the mempool's max_tx_bytes (N bytes)", "502": "api N: undecodable answer"} {
		c, calls = apiAnswering(t, []string{ans})
		_, err = c.broadcast(context.Background(), one, never, &retries)
		if err == nil || calls.Load() != 1 || !strings.HasPrefix(errorKind(err), kind) {
			t.Fatalf("%s: got %v (kind %q) after %d calls, want an error of kind %q", ans, err, errorKind(err), calls.Load(), kind)
		}
	}

	c, calls = apiAnswering(t, []string{"200:32045", "200:32045", "200:32045"})
	start := time.Now()
	r, err = c.broadcast(context.Background(), one, func() bool { return time.Since(start) > 100*time.Millisecond }, &retries)
	if err != nil || r.Code != 32045 || calls.Load() != 2 {
		t.Fatalf("window closed: got %+v %v after %d calls, want the retry code after 2", r, err, calls.Load())
	}

	if errorKind(errAPISeen) != "tx already seen" || !errors.Is(fmt.Errorf("x: %w", errAPISeen), errAPISeen) {
		t.Fatal("a 409 must count as the RPC path's \"tx already seen\"")
	}
	if _, err := newAPIClient("http://10.0.0.1:26659", 1); err == nil {
		t.Fatal("a non-loopback tx API must be refused")
	}
}
