package main

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// retryDelay is how long to wait before resubmitting a tx the node answered with
// a retry code (>= abci.CodeTypeRetry, e.g. the app mempool's selfchain/32045
// "mempool is full"): CometBFT's app mempool forgets such a tx after
// check_tx_retry_delay/10 (500 ms by default); before that the resubmission is
// refused as "tx already seen" ("tx already exists in cache" from the flood
// mempool).
const retryDelay = 550 * time.Millisecond

// broadcastRetrying submits bz with broadcast_tx_sync under submitRetrying's rules.
func broadcastRetrying(ctx context.Context, rpc *rpchttp.HTTP, bz cmttypes.Tx, closed func() bool, retries *atomic.Int64) (*coretypes.ResultBroadcastTx, error) {
	return submitRetrying(ctx, func(ctx context.Context) (*coretypes.ResultBroadcastTx, error) {
		return rpc.BroadcastTxSync(ctx, bz)
	}, closed, retries)
}

// submitRetrying submits a tx with send (JSON-RPC or the tx API), resubmitting it
// while the node answers with a retry code (and the cache refusal that follows
// one) until it answers otherwise or closed reports the window shut. Latency is
// still counted from the first attempt, so waiting for room shows in it.
func submitRetrying(ctx context.Context, send func(context.Context) (*coretypes.ResultBroadcastTx, error), closed func() bool, retries *atomic.Int64) (*coretypes.ResultBroadcastTx, error) {
	retried := false
	for {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		r, err := send(cctx)
		cancel()
		retry := (err == nil && r.Code >= abci.CodeTypeRetry) ||
			(err != nil && retried && seenBefore(err))
		if !retry || closed() {
			return r, err
		}
		retried = true
		retries.Add(1)
		select {
		case <-ctx.Done():
			return r, err
		case <-time.After(retryDelay):
		}
	}
}

// seenBefore reports CometBFT's refusal of a tx it saw moments ago: the app
// mempool's "tx already seen", the flood mempool's "tx already exists in cache".
func seenBefore(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "tx already seen") || strings.Contains(msg, "tx already exists in cache")
}
