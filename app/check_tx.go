package app

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
)

// CheckTx admits txs to the mempool: stateless checks, then the ante pipeline on
// the mempool's own branch of the last committed state (so accepted txs of one
// account advance its sequence there). Messages are not executed here.
// It runs concurrently with block execution: it touches only checkBranch, under checkMu.
// Txs are admitted up to app.toml's max-tx-bytes, which is at most the consensus
// bound tx.MaxTxBytes a block tx may have (decodeCached), so an admitted tx fits a block.
//
// With the app-side mempool CheckTx is its admission from RPC (InsertTx is from
// peers): concurrent, no app-wide lock (mempool_admit.go).
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	res := a.checkTx(req)
	call := callCheckTx
	if req.Type == abci.CheckTxType_Recheck && a.pool == nil {
		call = callRecheck
	}
	countCheck(call, res.Code)
	return res, nil
}

// checkTx is CheckTx without the count (metricMempoolChecks).
func (a *App) checkTx(req *abci.RequestCheckTx) *abci.ResponseCheckTx {
	if a.pool != nil {
		res := a.admitTx(req.Tx, a.budget.wait, false)
		return &abci.ResponseCheckTx{Code: res.Code, Log: res.Log, Codespace: res.Codespace, GasWanted: res.GasWanted, GasUsed: res.GasUsed}
	}
	if err := refuseInjectedTx(req.Tx); err != nil {
		return checkTxError(err, 0, 0)
	}
	t, err := tx.Decode(req.Tx, a.msgs, a.cfg.MaxTxBytes)
	if err != nil {
		return checkTxError(err, 0, 0)
	}
	if err := a.checkBlockGas(t); err != nil {
		return checkTxError(err, 0, 0)
	}
	mode := runtime.ModeCheck
	if req.Type == abci.CheckTxType_Recheck {
		mode = runtime.ModeRecheck
	}
	res, ok := a.checkTxLocked(t, mode)
	if !ok {
		return checkTxError(runtime.ErrInvalidRequest.Wrap("the node has not committed its first block yet: retry in a moment"), 0, 0)
	}
	if res.Code == 0 && mode == runtime.ModeCheck {
		// After the lock: other admissions need not wait for it.
		a.preVerifyMsgs(t)
	}
	return &abci.ResponseCheckTx{
		Code: res.Code, Log: res.Log, Codespace: res.Codespace,
		GasWanted: res.GasWanted, GasUsed: res.GasUsed,
	}
}

// checkTxLocked runs the ante on the mempool's branch under checkMu; false
// before the first commit.
func (a *App) checkTxLocked(t *tx.Tx, mode runtime.ExecMode) (abci.ExecTxResult, bool) {
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	if a.checkBranch == nil {
		return abci.ExecTxResult{}, false
	}
	ctx := runtime.NewContext(context.Background(), a.checkBranch, runtime.Header{
		ChainID: a.chainID, Height: a.checkHeight,
	}, mode, a.logger)
	return a.runTx(ctx, a.checkBranch, t), true
}

func checkTxError(err error, wanted, used uint64) *abci.ResponseCheckTx {
	space, code, log := runtime.ABCIInfo(err)
	return &abci.ResponseCheckTx{Code: code, Codespace: space, Log: log, GasWanted: int64(wanted), GasUsed: int64(used)}
}

// resetCheckState points CheckTx at the state committed at version (after each Commit).
func (a *App) resetCheckState(version int64) error {
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	if version == 0 {
		// Before the first commit there is no committed state to branch (the working
		// trees belong to block execution): CheckTx refuses until block 1 commits.
		a.checkBranch, a.checkHeight = nil, 1
		return nil
	}
	br, err := a.cms.BranchAt(version)
	if err != nil {
		return err
	}
	a.checkBranch = br
	a.checkHeight = version + 1
	return nil
}
