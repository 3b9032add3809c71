package app

import (
	"context"
	"encoding/json"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/mempool"
)

// MempoolLimits bound the app-side mempool (config.toml [mempool] size and max_txs_bytes).
type MempoolLimits = mempool.Limits

// EnableAppMempool makes the app own the mempool, as config.toml `[mempool] type =
// "app"` asks of it (CometBFT then only gossips): CheckTx and InsertTx admit into
// it, ReapTxs hands CometBFT what to gossip, PrepareProposal builds blocks from it
// and the accounts each block touched are re-checked after Commit. Call it before
// the node starts. Without it the app serves CometBFT's flood mempool
// (CheckTx/Recheck).
func (a *App) EnableAppMempool(l MempoolLimits) {
	a.pool = mempool.New(l)
	a.cms.TrackWrites() // admission's reads carry over from block to block (mempool_state.go)
	a.budget.admitLimit(a.pool)
}

// setBlockBytes hands the mempool budget n, the tx bytes a block may carry:
// PrepareProposal's MaxTxBytes, the chain's block.max_bytes before this node
// proposes. The pool admits ahead-blocks times that.
func (a *App) setBlockBytes(n int64) {
	if a.budget.setBlockBytes(n) && a.pool != nil {
		a.budget.admitLimit(a.pool)
	}
}

// ProposalTxCap is how many txs this node's next proposal may take, with either
// mempool: what it measured it executes in app.toml mempool.block-time.
func (a *App) ProposalTxCap() int { return int(a.budget.blockTxs.Load()) }

// AdmitLimit is how many txs and bytes the app-side mempool holds before new txs
// wait for room (0, 0 without it): ahead-blocks proposals' worth.
func (a *App) AdmitLimit() (txs int, bytes int64) {
	if a.pool == nil {
		return 0, 0
	}
	return a.pool.AdmitLimit()
}

// AppMempool reports whether the app owns the mempool.
func (a *App) AppMempool() bool { return a.pool != nil }

// MempoolSize is the app-side mempool's pending tx count and bytes (0 without it),
// once the last block's re-check has ended (it waits for it).
func (a *App) MempoolSize() (int, int64) {
	if a.pool == nil {
		return 0, 0
	}
	a.waitRecheck()
	return a.pool.Size()
}

// MempoolStatus is the answer to the /app/mempool query: with the app mempool
// CometBFT's num_unconfirmed_txs is always 0, and this is the count clients
// (scripts/loadgen) read instead.
type MempoolStatus struct {
	Type  string `json:"type"`  // "app"; "flood": CometBFT's, counted by num_unconfirmed_txs
	Txs   int    `json:"txs"`   // pending now (a block's re-check under way may still drop some)
	Bytes int64  `json:"bytes"` // their bytes
	// The admission limit: past either, new txs wait for room (0 with flood).
	AdmitTxs   int   `json:"admit_txs"`
	AdmitBytes int64 `json:"admit_bytes"`
}

func (a *App) queryMempool(height int64) *abci.ResponseQuery {
	st := MempoolStatus{Type: "flood"}
	if a.pool != nil {
		st.Type = "app"
		st.Txs, st.Bytes = a.pool.Size() // now: a query does not wait for the re-check
		st.AdmitTxs, st.AdmitBytes = a.pool.AdmitLimit()
	}
	bz, _ := json.Marshal(st)
	return &abci.ResponseQuery{Value: bz, Height: height}
}

// InsertTx admits a tx a peer gossiped. CometBFT calls it concurrently, without
// the connection's lock.
func (a *App) InsertTx(_ context.Context, req *abci.RequestInsertTx) (*abci.ResponseInsertTx, error) {
	if a.pool == nil {
		return &abci.ResponseInsertTx{}, nil
	}
	// A peer's tx does not wait for room: CometBFT calls InsertTx from the peer's
	// receive routine, which would hold up the peer's consensus messages too.
	res := a.admitTx(req.Tx, 0, true)
	countCheck(callInsertTx, res.Code)
	return &abci.ResponseInsertTx{Code: res.Code}, nil
}

// ReapTxs hands CometBFT the txs admitted since its last call, for gossip (each
// once; CometBFT's seen-cache keeps peers from sending them back).
func (a *App) ReapTxs(_ context.Context, req *abci.RequestReapTxs) (*abci.ResponseReapTxs, error) {
	if a.pool == nil {
		return &abci.ResponseReapTxs{}, nil
	}
	return &abci.ResponseReapTxs{Txs: a.pool.TakeGossip(req.MaxBytes, req.MaxGas)}, nil
}

// SigVerifications is how many signature checks this app computed (cache misses):
// with the app mempool a tx it admitted is verified once, not again in a block.
func (a *App) SigVerifications() uint64 { return a.sigs.Verified() }
