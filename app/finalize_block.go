package app

import (
	"context"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
)

// FinalizeBlock executes a decided block: begin-block hooks, every tx in order
// (each in its own branches), end-block hooks; it writes the block into the working
// trees and returns the app hash. Signatures are checked first, in parallel.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	start := time.Now()
	header := runtime.Header{ChainID: a.chainID, Height: req.Height, Time: req.Time, ProposerAddress: req.ProposerAddress,
		LastCommit: req.DecidedLastCommit, Misbehavior: req.Misbehavior}
	branch := a.cms.Working()
	ctx := runtime.NewContext(context.Background(), branch, header, runtime.ModeFinalize, a.logger)

	if err := a.mm.BeginBlock(ctx); err != nil {
		return nil, err
	}
	beginEvents := ctx.EventManager().Events()

	txs, decodeErrs := a.decodeBlockTxs(req.Txs)
	a.preVerify(txs)

	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i := range req.Txs {
		var res abci.ExecTxResult
		if txs[i] == nil {
			res = txResult(decodeErrs[i], runtime.NewGasMeter(0), nil)
		} else {
			res = a.runTx(ctx, branch, txs[i])
		}
		results[i] = &res
		metricTxs.WithLabelValues(res.Codespace, strconv.FormatUint(uint64(res.Code), 10)).Inc()
	}

	endCtx := ctx.WithStores(branch)
	updates, err := a.mm.EndBlock(endCtx)
	if err != nil {
		return nil, err
	}
	if err := branch.Write(); err != nil {
		return nil, err
	}
	a.finalized = &finalizeResult{height: req.Height}
	clear(a.decoded)
	metricBlockExec.Observe(time.Since(start).Seconds())
	metricBlockTxs.Observe(float64(len(req.Txs)))
	return &abci.ResponseFinalizeBlock{
		Events:           append(beginEvents, endCtx.EventManager().Events()...),
		TxResults:        results,
		ValidatorUpdates: updates,
		AppHash:          a.cms.WorkingHash(),
	}, nil
}

// decodeBlockTxs decodes every tx, reusing what the proposal hooks already decoded.
func (a *App) decodeBlockTxs(raw [][]byte) ([]*tx.Tx, []error) {
	txs := make([]*tx.Tx, len(raw))
	errs := make([]error, len(raw))
	for i, bz := range raw {
		txs[i], errs[i] = a.decodeCached(bz)
	}
	return txs, errs
}
