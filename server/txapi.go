package server

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/mempool"
	cmttypes "github.com/cometbft/cometbft/types"
)

// The tx API is app.toml [api]: POST /txs with the raw tx bytes as the body does
// what CometBFT's broadcast_tx_sync does, without JSON-RPC. Through the RPC a
// hybrid-key tx arrives as a ~4.9 KB JSON body with the tx in base64, parsed by
// encoding/json several times: ~310 µs of node CPU per tx at saturation, 57-124 µs
// for an ed25519 one (docs/PERFORMANCE.md, "Hybrid keys at saturation (stop 31)").
// CometBFT's app mempool itself says clients "should rely on app-specific
// broadcasting endpoints (think of eth_sendRawTransaction)".

// TxAPIPath is the one route of the tx API.
const TxAPIPath = "/txs"

// txChecker is what the handler needs of the mempool (mempool.Mempool has it):
// both CometBFT's flood mempool and its app mempool.
type txChecker interface {
	CheckTx(tx cmttypes.Tx, cb func(*abci.ResponseCheckTx), info mempool.TxInfo) error
}

// txAPIHandler serves POST /txs.
type txAPIHandler struct {
	mempool    txChecker
	maxTxBytes int         // config.toml mempool.max_tx_bytes: larger bodies are 413
	waitSync   func() bool // true while the mempool reactor waits for block sync (503)
	checkWait  time.Duration
}

// TxAPIResult is POST /txs's answer when CheckTx answered: the fields of
// broadcast_tx_sync's result, with the same meanings (code 0: admitted).
type TxAPIResult struct {
	Code      uint32 `json:"code"`
	Codespace string `json:"codespace"`
	Log       string `json:"log"`
	Hash      string `json:"hash"` // upper-case hex SHA-256 of the tx, as CometBFT prints it
}

// TxAPIError is the body of every answer that is not a CheckTx result.
type TxAPIError struct {
	Error string `json:"error"`
}

func (h *txAPIHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeAPIError(w, http.StatusMethodNotAllowed, "use POST with the raw tx bytes as the body (Content-Type: application/octet-stream)")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/octet-stream" {
			writeAPIError(w, http.StatusUnsupportedMediaType, "the body is the raw tx bytes: Content-Type application/octet-stream (not JSON or base64)")
			return
		}
	}
	tx, status, msg := readTxBody(r, h.maxTxBytes)
	if status != 0 {
		if status == http.StatusRequestEntityTooLarge {
			// The rest of the body is not read: the connection cannot be reused.
			w.Header().Set("Connection", "close")
		}
		writeAPIError(w, status, msg)
		return
	}
	if h.waitSync != nil && h.waitSync() {
		writeAPIError(w, http.StatusServiceUnavailable, "the node is catching up (block sync): it takes txs once it has caught up")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.checkWait)
	defer cancel()
	resCh := make(chan *abci.ResponseCheckTx, 1)
	err := h.mempool.CheckTx(tx, func(res *abci.ResponseCheckTx) {
		select {
		case resCh <- res:
		default: // called once; never block the mempool
		}
	}, mempool.TxInfo{})
	if err != nil {
		status, msg := mempoolErrorStatus(err)
		writeAPIError(w, status, msg)
		return
	}
	select {
	case res := <-resCh:
		if res == nil {
			writeAPIError(w, http.StatusInternalServerError, "CheckTx gave no response")
			return
		}
		writeAPIJSON(w, http.StatusOK, TxAPIResult{Code: res.Code, Codespace: res.Codespace, Log: res.Log, Hash: strings.ToUpper(hex.EncodeToString(tx.Hash()))})
	case <-ctx.Done():
		if r.Context().Err() != nil {
			return // the client went away: nobody to answer
		}
		writeAPIError(w, http.StatusGatewayTimeout, fmt.Sprintf("no CheckTx answer within %s (the tx may still be admitted)", h.checkWait))
	}
}

// readTxBody reads the body into one buffer of its exact size when the client
// says the size (Content-Length), and reads at most max+1 bytes otherwise, so an
// oversized body is refused without being held. status 0: ok.
func readTxBody(r *http.Request, maxBytes int) (cmttypes.Tx, int, string) {
	tooLarge := fmt.Sprintf("tx larger than the mempool's max_tx_bytes (%d bytes)", maxBytes)
	switch n := r.ContentLength; {
	case n == 0:
		return nil, http.StatusBadRequest, "empty body: send the raw tx bytes"
	case n > int64(maxBytes):
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	case n > 0:
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, http.StatusBadRequest, "reading the body: " + err.Error()
		}
		return buf, 0, ""
	}
	// Unknown length (chunked): read up to one byte past the limit.
	buf, err := io.ReadAll(io.LimitReader(r.Body, int64(maxBytes)+1))
	switch {
	case err != nil:
		return nil, http.StatusBadRequest, "reading the body: " + err.Error()
	case len(buf) == 0:
		return nil, http.StatusBadRequest, "empty body: send the raw tx bytes"
	case len(buf) > maxBytes:
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	}
	return buf, 0, ""
}

// mempoolErrorStatus maps the mempool's refusals before CheckTx to a status:
// 409 for a tx it has seen, 413 too large, 400 what the tx itself cannot pass,
// 503 for a full or unavailable mempool (retry later).
func mempoolErrorStatus(err error) (int, string) {
	var (
		tooLarge    mempool.ErrTxTooLarge
		tooLargePtr *mempool.ErrTxTooLarge
		full        mempool.ErrMempoolIsFull
		preCheck    mempool.ErrPreCheck
	)
	switch {
	case errors.Is(err, mempool.ErrSeenTx), errors.Is(err, mempool.ErrTxInCache):
		return http.StatusConflict, "tx already known to this node (" + err.Error() + "): it was submitted or received moments ago"
	case errors.As(err, &tooLarge), errors.As(err, &tooLargePtr):
		return http.StatusRequestEntityTooLarge, err.Error()
	case errors.Is(err, mempool.ErrEmptyTx), errors.As(err, &preCheck):
		return http.StatusBadRequest, err.Error()
	case errors.As(err, &full), errors.Is(err, mempool.ErrRecheckFull):
		return http.StatusServiceUnavailable, err.Error()
	}
	return http.StatusServiceUnavailable, "mempool: " + err.Error()
}

func writeAPIError(w http.ResponseWriter, status int, msg string) {
	writeAPIJSON(w, status, TxAPIError{Error: msg})
}

func writeAPIJSON(w http.ResponseWriter, status int, v any) {
	bz, err := json.Marshal(v)
	if err != nil { // only strings and numbers: cannot fail
		status, bz = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(bz, '\n'))
}

// txAPI is the running endpoint.
type txAPI struct {
	srv *http.Server
	ln  net.Listener
}

// listenTxAPI binds addr ("host:port") and builds the server; serving starts
// with serve, once the node runs. Binding first makes a taken port a start error.
func listenTxAPI(addr string, h *txAPIHandler) (*txAPI, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("app.toml api.address: %w (pick another port, or set it to \"\" to turn the tx API off)", err)
	}
	mux := http.NewServeMux()
	mux.Handle(TxAPIPath, h)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second, // a body trickled in slowly holds a connection no longer
		WriteTimeout:      h.checkWait + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	return &txAPI{srv: srv, ln: ln}, nil
}

func (a *txAPI) serve(logger cmtlog.Logger) {
	go func() {
		if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("tx API stopped", "err", err)
		}
	}()
}

// stop lets requests in flight finish (briefly), then closes every connection.
func (a *txAPI) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		return a.srv.Close()
	}
	return nil
}

// close releases the listener of an endpoint that never served.
func (a *txAPI) close() { _ = a.ln.Close() }

// Addr is the bound address, "host:port".
func (a *txAPI) Addr() string { return a.ln.Addr().String() }
