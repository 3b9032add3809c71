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
	// The previous block's re-check first: it reads a.touched, and admission gets
	// its core back when it ends.
	a.waitRecheck()
	start := time.Now()
	a.budget.blockStarted(len(req.Txs))
	header := runtime.Header{ChainID: a.chainID, Height: req.Height, Time: req.Time, ProposerAddress: req.ProposerAddress,
		LastCommit: req.DecidedLastCommit, Misbehavior: req.Misbehavior, Hash: req.Hash}
	branch := a.cms.Working()
	ctx := runtime.NewContext(context.Background(), branch, header, runtime.ModeFinalize, a.logger)

	// At an upgrade's height: apply it, or halt the node before executing the block.
	if err := a.upgradeBeforeBlock(ctx); err != nil {
		return nil, err
	}
	if err := a.mm.BeginBlock(ctx); err != nil {
		return nil, err
	}
	beginEvents := ctx.EventManager().Events()

	// PoAI: the proposer's injected extended commit is the first tx; it runs no
	// messages (result code 0) and feeds the aggregation instead.
	commit, injected := a.takeInjectedCommit(req.Height, req.Txs)
	txs, decodeErrs := a.decodeBlockTxs(req.Txs, injected)
	// What ProcessProposal's prefetch has not loaded by now the flush loads itself:
	// a walk running next to execution only contends for the trees' node database.
	a.cms.StopPrefetch()
	a.preVerify(txs)
	a.noteTouched(txs)
	beginEvents = append(beginEvents, a.recordPoAI(ctx, branch, req.Height, req.Hash, commit, txs, req.Txs, injected)...)

	results := make([]*abci.ExecTxResult, len(req.Txs))
	resultVals := make([]abci.ExecTxResult, len(req.Txs)) // one allocation for the block's results
	scratch := newTxBranches(branch)
	loopStart := time.Now()
	for i := range req.Txs {
		res := &resultVals[i]
		if i == 0 && injected {
			*res = abci.ExecTxResult{Log: "PoAI extended commit (consensus-only)"}
		} else if txs[i] == nil {
			*res = txResult(decodeErrs[i], runtime.NewGasMeter(0), nil)
		} else {
			*res = a.runTxIn(ctx, branch, txs[i], scratch)
		}
		results[i] = res
		if i > 0 || !injected { // the PoAI commit is not a tx anyone sent
			metricTxs.WithLabelValues(res.Codespace, strconv.FormatUint(uint64(res.Code), 10)).Inc()
		}
	}

	a.budget.measured(time.Since(loopStart))
	endCtx := ctx.WithEventManager(runtime.NewEventManager()) // end-block events apart from begin-block ones
	updates, err := a.mm.EndBlock(endCtx)
	if err != nil {
		return nil, err
	}
	if err := branch.Write(); err != nil {
		return nil, err
	}
	a.finalized = &finalizeResult{height: req.Height, time: req.Time}
	a.queueAnalysis(req.Height, req.Hash, txs, results, injected)
	clear(a.decoded)
	clear(a.decodedAt)
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
// With skipFirst the first tx is the injected commit and is left nil.
func (a *App) decodeBlockTxs(raw [][]byte, skipFirst bool) ([]*tx.Tx, []error) {
	txs := make([]*tx.Tx, len(raw))
	errs := make([]error, len(raw))
	for i, bz := range raw {
		if i == 0 && skipFirst {
			continue
		}
		txs[i], errs[i] = a.decodeCached(bz)
	}
	return txs, errs
}
