package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// rpcAnswering serves broadcast_tx_sync with the given answers in turn (a CheckTx
// code, or an RPC error when code < 0: the flood mempool's cache refusal for -1,
// the app mempool's for -2), then code 0.
func rpcAnswering(t *testing.T, codes []int) (*rpchttp.HTTP, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		n := int(calls.Add(1)) - 1
		code := 0
		if n < len(codes) {
			code = codes[n]
		}
		w.Header().Set("Content-Type", "application/json")
		if code < 0 {
			msg := "tx already exists in cache"
			if code == -2 {
				msg = "tx already seen"
			}
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32603,"message":"Internal error","data":"%s"}}`, req.ID, msg)
			return
		}
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"code":%d,"data":"","log":"","codespace":"selfchain","hash":"00"}}`, req.ID, code)
	}))
	t.Cleanup(srv.Close)
	c, err := rpchttp.New(srv.URL, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	return c, &calls
}

// A retry code is resubmitted (and the cache refusal that follows it), until the
// node answers otherwise; other codes and a first cache refusal are final; a
// closed window ends the retries.
func TestBroadcastRetrying(t *testing.T) {
	never := func() bool { return false }
	var retries atomic.Int64

	c, calls := rpcAnswering(t, []int{32045, -1, 32045})
	r, err := broadcastRetrying(context.Background(), c, []byte{1}, never, &retries)
	if err != nil || r.Code != 0 || calls.Load() != 4 || retries.Load() != 3 {
		t.Fatalf("retry codes: got %v %v after %d calls, %d retries; want code 0 after 4 calls, 3 retries", r, err, calls.Load(), retries.Load())
	}

	retries.Store(0)
	c, calls = rpcAnswering(t, []int{32045, -2})
	r, err = broadcastRetrying(context.Background(), c, []byte{1}, never, &retries)
	if err != nil || r.Code != 0 || calls.Load() != 3 || retries.Load() != 2 {
		t.Fatalf("app mempool's refusal after a retry code: got %v %v after %d calls, %d retries; want code 0 after 3 calls, 2 retries", r, err, calls.Load(), retries.Load())
	}

	retries.Store(0)
	c, calls = rpcAnswering(t, []int{3})
	r, err = broadcastRetrying(context.Background(), c, []byte{1}, never, &retries)
	if err != nil || r.Code != 3 || calls.Load() != 1 || retries.Load() != 0 {
		t.Fatalf("a final code: got %v %v after %d calls", r, err, calls.Load())
	}

	for _, refusal := range []int{-1, -2} {
		c, calls = rpcAnswering(t, []int{refusal})
		if _, err = broadcastRetrying(context.Background(), c, []byte{1}, never, &retries); err == nil || calls.Load() != 1 {
			t.Fatalf("a first cache refusal (%d) is final: got %v after %d calls", refusal, err, calls.Load())
		}
	}

	c, calls = rpcAnswering(t, []int{32045, 32045, 32045})
	start := time.Now()
	r, err = broadcastRetrying(context.Background(), c, []byte{1}, func() bool { return time.Since(start) > 100*time.Millisecond }, &retries)
	if err != nil || r.Code != 32045 || calls.Load() != 2 {
		t.Fatalf("window closed: got %v %v after %d calls, want the retry code after 2", r, err, calls.Load())
	}
}
