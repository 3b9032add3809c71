package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"
)

// --submit api: txs go to the node's own POST /txs (app.toml [api], server/txapi.go)
// as raw bytes, instead of JSON-RPC broadcast_tx_sync with the tx in base64.

// apiClient posts txs to one node's tx API.
type apiClient struct {
	url string // http://host:port/txs
	hc  *http.Client
}

// errAPISeen is the node's 409: it already knows the tx (CometBFT's "tx already
// seen" / "tx already exists in cache"). The message keeps those words, so
// errorKind counts it with the RPC path's.
var errAPISeen = errors.New("api 409: tx already seen")

func newAPIClient(base string, conns int) (*apiClient, error) {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	base = strings.TrimSuffix(strings.Replace(base, "tcp://", "http://", 1), "/")
	if err := loopbackOnly(base); err != nil {
		return nil, err
	}
	return &apiClient{url: base + "/txs", hc: newHTTPClient(conns)}, nil
}

// apiAnswer is the tx API's JSON: a CheckTx result (200) or {"error"} (others).
type apiAnswer struct {
	Code      uint32 `json:"code"`
	Codespace string `json:"codespace"`
	Log       string `json:"log"`
	Hash      string `json:"hash"`
	Error     string `json:"error"`
}

// post submits bz once: a CheckTx answer as broadcast_tx_sync's result, errAPISeen
// for 409, an error naming the status and the node's message otherwise.
func (a *apiClient) post(ctx context.Context, bz []byte) (*coretypes.ResultBroadcastTx, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(bz))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20)) // read to the end: the connection is reused
	if err != nil {
		return nil, err
	}
	return decodeAPIAnswer(resp.StatusCode, body)
}

func decodeAPIAnswer(status int, body []byte) (*coretypes.ResultBroadcastTx, error) {
	if status == http.StatusConflict {
		return nil, errAPISeen
	}
	var ans apiAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("api %d: undecodable answer %q: %w", status, clip(body, 200), err)
	}
	if status != http.StatusOK {
		msg := ans.Error
		if msg == "" {
			msg = string(clip(body, 200))
		}
		return nil, fmt.Errorf("api %d: %s", status, msg)
	}
	return &coretypes.ResultBroadcastTx{Code: ans.Code, Codespace: ans.Codespace, Log: ans.Log}, nil
}

// clip shortens an answer quoted in an error.
func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// broadcast submits bz under submitRetrying's rules (errAPISeen reads as the
// RPC's "tx already seen"). A 409 on the first attempt means the node already
// has the tx (a peer gossiped it there first): accepted, code 0.
func (a *apiClient) broadcast(ctx context.Context, bz []byte, closed func() bool, retries *atomic.Int64) (*coretypes.ResultBroadcastTx, error) {
	first := true
	return submitRetrying(ctx, func(ctx context.Context) (*coretypes.ResultBroadcastTx, error) {
		r, err := a.post(ctx, bz)
		if first && errors.Is(err, errAPISeen) {
			return &coretypes.ResultBroadcastTx{Log: "already seen by the node"}, nil
		}
		first = false
		return r, err
	}, closed, retries)
}
