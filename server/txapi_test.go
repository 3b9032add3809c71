package server

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/mempool"
	cmttypes "github.com/cometbft/cometbft/types"
)

// fakeMempool answers CheckTx as CometBFT's mempools do: a refusal before the
// app (err), or the app's answer through the callback (res; nil: never answers).
type fakeMempool struct {
	mu    sync.Mutex
	err   error
	res   *abci.ResponseCheckTx
	async bool // answer from another goroutine, as the app mempool does
	got   []cmttypes.Tx
}

func (m *fakeMempool) CheckTx(tx cmttypes.Tx, cb func(*abci.ResponseCheckTx), _ mempool.TxInfo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got = append(m.got, tx)
	if m.err != nil {
		return m.err
	}
	if m.res != nil {
		if m.async {
			go cb(m.res)
		} else {
			cb(m.res)
		}
	}
	return nil
}

func (m *fakeMempool) txs() []cmttypes.Tx {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]cmttypes.Tx(nil), m.got...)
}

func testHandler(m *fakeMempool) *txAPIHandler {
	return &txAPIHandler{mempool: m, maxTxBytes: 64, checkWait: 200 * time.Millisecond}
}

func post(h http.Handler, body io.Reader, contentLength int64) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, TxAPIPath, body)
	r.Header.Set("Content-Type", "application/octet-stream")
	r.ContentLength = contentLength
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e TxAPIError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
		t.Fatalf("status %d: want a JSON {\"error\"} body, got %q (%v)", w.Code, w.Body.String(), err)
	}
	return e.Error
}

// CheckTx's answer comes back as broadcast_tx_sync's fields, with status 200
// whatever its code; the tx reaches the mempool byte for byte.
func TestTxAPIAnswersCheckTx(t *testing.T) {
	tx := []byte("a signed tx")
	for _, async := range []bool{false, true} {
		m := &fakeMempool{res: &abci.ResponseCheckTx{Code: 5, Codespace: "bank", Log: "insufficient funds"}, async: async}
		w := post(testHandler(m), bytes.NewReader(tx), int64(len(tx)))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
		var res TxAPIResult
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		want := TxAPIResult{Code: 5, Codespace: "bank", Log: "insufficient funds", Hash: strings.ToUpper(hex.EncodeToString(cmttypes.Tx(tx).Hash()))}
		if res != want {
			t.Fatalf("got %+v, want %+v", res, want)
		}
		if got := m.txs(); len(got) != 1 || !bytes.Equal(got[0], tx) {
			t.Fatalf("mempool got %q", got)
		}
	}
	// A body of unknown length (chunked) is read too.
	m := &fakeMempool{res: &abci.ResponseCheckTx{}}
	if w := post(testHandler(m), strings.NewReader("chunked tx"), -1); w.Code != http.StatusOK || string(m.txs()[0]) != "chunked tx" {
		t.Fatalf("chunked: status %d, mempool got %q", w.Code, m.txs())
	}
}

// Every refusal is a JSON error with its status, and nothing reaches the
// mempool that should not.
func TestTxAPIRefusals(t *testing.T) {
	ok := &abci.ResponseCheckTx{}
	for _, tc := range []struct {
		name   string
		m      *fakeMempool
		req    func() *http.Request
		status int
		want   string
		sent   bool // the tx reached the mempool
	}{
		{"GET", &fakeMempool{res: ok}, func() *http.Request { return httptest.NewRequest(http.MethodGet, TxAPIPath, nil) }, http.StatusMethodNotAllowed, "use POST", false},
		{"empty body", &fakeMempool{res: ok}, func() *http.Request { return httptest.NewRequest(http.MethodPost, TxAPIPath, http.NoBody) }, http.StatusBadRequest, "empty body", false},
		{"declared too large", &fakeMempool{res: ok}, func() *http.Request {
			return httptest.NewRequest(http.MethodPost, TxAPIPath, bytes.NewReader(make([]byte, 65)))
		}, http.StatusRequestEntityTooLarge, "max_tx_bytes (64", false},
		{"chunked too large", &fakeMempool{res: ok}, func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, TxAPIPath, io.MultiReader(bytes.NewReader(make([]byte, 65)), neverEnds{}))
			r.ContentLength = -1
			return r
		}, http.StatusRequestEntityTooLarge, "max_tx_bytes", false},
		{"short body", &fakeMempool{res: ok}, func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, TxAPIPath, strings.NewReader("abc"))
			r.ContentLength = 10
			return r
		}, http.StatusBadRequest, "reading the body", false},
		{"JSON", &fakeMempool{res: ok}, func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, TxAPIPath, strings.NewReader(`{"tx":"AAA="}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, http.StatusUnsupportedMediaType, "raw tx bytes", false},
		{"seen (app mempool)", &fakeMempool{err: mempool.ErrSeenTx}, body("tx"), http.StatusConflict, "already known", true},
		{"in cache (flood mempool)", &fakeMempool{err: mempool.ErrTxInCache}, body("tx"), http.StatusConflict, "already known", true},
		{"full", &fakeMempool{err: mempool.ErrMempoolIsFull{NumTxs: 5, MaxTxs: 5}}, body("tx"), http.StatusServiceUnavailable, "mempool is full", true},
		{"too large (app mempool)", &fakeMempool{err: &mempool.ErrTxTooLarge{Max: 1, Actual: 2}}, body("tx"), http.StatusRequestEntityTooLarge, "too large", true},
		{"pre-check", &fakeMempool{err: mempool.ErrPreCheck{Err: errors.New("bad")}}, body("tx"), http.StatusBadRequest, "pre check", true},
		{"app connection", &fakeMempool{err: mempool.ErrAppConnMempool{Err: errors.New("gone")}}, body("tx"), http.StatusServiceUnavailable, "mempool:", true},
		{"no answer", &fakeMempool{}, body("tx"), http.StatusGatewayTimeout, "no CheckTx answer", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			testHandler(tc.m).ServeHTTP(w, tc.req())
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body.String())
			}
			if msg := decodeError(t, w); !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q, want it to say %q", msg, tc.want)
			}
			if sent := len(tc.m.txs()) > 0; sent != tc.sent {
				t.Fatalf("tx reached the mempool: %v, want %v", sent, tc.sent)
			}
			if tc.status == http.StatusMethodNotAllowed && w.Header().Get("Allow") != http.MethodPost {
				t.Fatalf("405 without Allow: POST")
			}
		})
	}
}

// While the node catches up, nothing is checked.
func TestTxAPICatchingUp(t *testing.T) {
	m := &fakeMempool{res: &abci.ResponseCheckTx{}}
	h := testHandler(m)
	h.waitSync = func() bool { return true }
	w := post(h, strings.NewReader("tx"), 2)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(decodeError(t, w), "catching up") || len(m.txs()) != 0 {
		t.Fatalf("status %d body %s, mempool got %d txs", w.Code, w.Body.String(), len(m.txs()))
	}
}

func body(s string) func() *http.Request {
	return func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, TxAPIPath, strings.NewReader(s))
		r.Header.Set("Content-Type", "application/octet-stream")
		return r
	}
}

// neverEnds is an endless body: the handler must stop reading past the limit.
type neverEnds struct{}

func (neverEnds) Read(p []byte) (int, error) { return len(p), nil }

// Arbitrary bodies, lengths, methods and content types never panic the handler,
// and every answer is JSON with a status the endpoint documents.
func FuzzTxAPIHandler(f *testing.F) {
	f.Add([]byte("tx"), int64(2), "POST", "application/octet-stream", uint8(0))
	f.Add([]byte{}, int64(0), "POST", "", uint8(1))
	f.Add(make([]byte, 100), int64(-1), "POST", "application/octet-stream; charset=x", uint8(2))
	f.Add([]byte("x"), int64(50), "PUT", "text/plain", uint8(3))
	f.Add([]byte("\x00\xff"), int64(1), "POST", "application/octet-stream", uint8(4))
	answers := []*fakeMempool{
		{res: &abci.ResponseCheckTx{Code: 2, Codespace: "sdk", Log: "tx parse error \x00\"<>"}},
		{err: mempool.ErrSeenTx},
		{err: mempool.ErrMempoolIsFull{}},
		{res: &abci.ResponseCheckTx{}, async: true},
		{},
	}
	allowed := map[int]bool{200: true, 400: true, 405: true, 409: true, 413: true, 415: true, 503: true, 504: true}
	f.Fuzz(func(t *testing.T, bz []byte, contentLength int64, method, contentType string, answer uint8) {
		m := answers[int(answer)%len(answers)]
		h := testHandler(&fakeMempool{err: m.err, res: m.res, async: m.async})
		h.checkWait = time.Millisecond
		r := httptest.NewRequest(http.MethodPost, TxAPIPath, bytes.NewReader(bz))
		r.Method = method
		r.ContentLength = contentLength
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !allowed[w.Code] {
			t.Fatalf("status %d", w.Code)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("status %d: body is not JSON: %q", w.Code, w.Body.String())
		}
	})
}
