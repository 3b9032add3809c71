package client

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
)

// DefaultBroadcastTimeout bounds how long Broadcast waits for inclusion.
const DefaultBroadcastTimeout = 30 * time.Second

// pollInterval is how often a waiting Broadcast asks the indexer; well under a block time.
const pollInterval = 250 * time.Millisecond

// TxResult is the outcome of a broadcast tx: the CheckTx answer, and with
// waiting (or from a lookup) its execution in a block.
type TxResult struct {
	TxHash    string       `json:"txhash"`
	Height    int64        `json:"height,omitempty"`
	Code      uint32       `json:"code"`
	Codespace string       `json:"codespace,omitempty"`
	Log       string       `json:"log,omitempty"`
	GasWanted int64        `json:"gas_wanted,omitempty"`
	GasUsed   int64        `json:"gas_used,omitempty"`
	Events    []abci.Event `json:"events,omitempty"`
}

// OK reports whether the tx was accepted (and, once included, executed) without error.
func (r *TxResult) OK() bool { return r.Code == 0 }

// Err is nil for an accepted tx and otherwise an error showing codespace, code and log.
func (r *TxResult) Err() error {
	if r.OK() {
		return nil
	}
	return fmt.Errorf("tx %s failed: codespace %s, code %d: %s", r.TxHash, r.Codespace, r.Code, r.Log)
}

// Broadcast sends tx bytes with broadcast_tx_sync. A CheckTx rejection comes
// back as a result with its code and log (not as an error). With wait, it then
// polls the tx indexer until the tx is in a block or Timeout passes.
func (c *Client) Broadcast(ctx context.Context, txBytes []byte, wait bool) (*TxResult, error) {
	return c.BroadcastWithTimeout(ctx, txBytes, wait, DefaultBroadcastTimeout)
}

// BroadcastWithTimeout is Broadcast with an explicit wait bound (0 = default).
func (c *Client) BroadcastWithTimeout(ctx context.Context, txBytes []byte, wait bool, timeout time.Duration) (*TxResult, error) {
	res, err := c.rpc.BroadcastTxSync(ctx, txBytes)
	if err != nil {
		return nil, c.wrapConnErr(err)
	}
	out := &TxResult{TxHash: strings.ToUpper(hex.EncodeToString(res.Hash)), Code: res.Code, Codespace: res.Codespace, Log: res.Log}
	if !wait || res.Code != 0 {
		return out, nil
	}
	if timeout <= 0 {
		timeout = DefaultBroadcastTimeout
	}
	return c.WaitForTx(ctx, res.Hash, timeout)
}

// WaitForTx polls the node's tx indexer until hash is included in a block.
func (c *Client) WaitForTx(ctx context.Context, hash []byte, timeout time.Duration) (*TxResult, error) {
	return c.WaitForTxEvery(ctx, hash, timeout, pollInterval)
}

// WaitForTxEvery is WaitForTx asking every `every`: a relayer whose next step waits
// on the inclusion polls more often than a person at a terminal needs.
func (c *Client) WaitForTxEvery(ctx context.Context, hash []byte, timeout, every time.Duration) (*TxResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(every)
	defer tick.Stop()
	hexHash := strings.ToUpper(hex.EncodeToString(hash))
	for {
		res, err := c.rpc.Tx(ctx, hash, false)
		if err == nil {
			return txResult(res), nil
		}
		if msg := err.Error(); strings.Contains(msg, "indexing is disabled") {
			return nil, fmt.Errorf("tx %s was accepted, but the node does not index txs (tx_index.indexer = \"null\"), so it cannot be waited for", hexHash)
		} else if !strings.Contains(msg, "not found") && ctx.Err() == nil {
			return nil, c.wrapConnErr(err)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("tx %s was accepted but not included in a block within %s; it may still be pending: check with `query tx %s`", hexHash, timeout, hexHash)
			}
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// GetTx looks up an included tx by its hash (hex).
func (c *Client) GetTx(ctx context.Context, hashHex string) (*TxResult, error) {
	hash, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(hashHex, "0x"), "0X"))
	if err != nil || len(hash) != 32 {
		return nil, fmt.Errorf("invalid tx hash %q: want 64 hex characters", hashHex)
	}
	res, err := c.rpc.Tx(ctx, hash, false)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, fmt.Errorf("tx %s not found (not yet included, pruned, or never broadcast)", strings.ToUpper(hex.EncodeToString(hash)))
		}
		return nil, c.wrapConnErr(err)
	}
	return txResult(res), nil
}

func txResult(res *ctypes.ResultTx) *TxResult {
	r := res.TxResult
	return &TxResult{
		TxHash: strings.ToUpper(hex.EncodeToString(res.Hash)), Height: res.Height,
		Code: r.Code, Codespace: r.Codespace, Log: r.Log,
		GasWanted: r.GasWanted, GasUsed: r.GasUsed, Events: r.Events,
	}
}
