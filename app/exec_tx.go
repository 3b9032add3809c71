package app

import (
	"math"
	"runtime/debug"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
)

// runTx executes one decoded tx on parent in two branches: the ante branch (fee,
// sequence) is kept once the ante passes; the message branch is kept only if every
// message succeeds. So a failing tx changes nothing but its fee and sequence, and a
// tx that fails the ante changes nothing at all. CheckTx stops after the ante.
func (a *App) runTx(base *runtime.Context, parent *store.Branch, t *tx.Tx) abci.ExecTxResult {
	return a.runTxIn(base, parent, t, nil)
}

// txBranches is a pair of tx branches of one parent that runTxIn reuses from tx to
// tx (FinalizeBlock runs its txs one at a time), saving two ~1 KB allocations a tx.
type txBranches struct{ ante, msg *store.Branch }

func newTxBranches(parent *store.Branch) *txBranches {
	return &txBranches{ante: parent.Branch(), msg: parent.Branch()}
}

// runTxIn is runTx in the branches of reuse (children of parent), or in fresh
// ones when reuse is nil.
func (a *App) runTxIn(base *runtime.Context, parent *store.Branch, t *tx.Tx, reuse *txBranches) abci.ExecTxResult {
	gas := runtime.NewGasMeter(t.GasLimit())
	var anteBranch, msgBranch *store.Branch
	if reuse != nil {
		// Whatever the last tx left unwritten (a failure) is dropped here.
		reuse.ante.Discard()
		reuse.msg.Discard()
		anteBranch, msgBranch = reuse.ante, reuse.msg
	} else {
		anteBranch = parent.Branch()
	}
	actx := base.ForTx(anteBranch, runtime.NewEventManager(), gas)
	if err := a.guard(gas, func() error { return a.ante.Run(actx, t) }); err != nil {
		return txResult(err, gas, nil)
	}
	if err := anteBranch.Write(); err != nil {
		return txResult(err, gas, nil)
	}
	events := actx.EventManager().Events()
	if base.IsCheckTx() {
		return txResult(nil, gas, events)
	}

	if msgBranch == nil {
		msgBranch = parent.Branch()
	}
	mctx := actx.ForTx(msgBranch, runtime.NewEventManager(), gas)
	err := a.guard(gas, func() error {
		for i, msg := range t.Msgs {
			typeURL := t.Body.Messages[i].TypeUrl
			h, ok := a.msgs.Handler(typeURL)
			if !ok { // Decode only yields routable messages; keep the check for safety
				return runtime.ErrUnknownRequest.Wrapf("no handler for %s", typeURL)
			}
			if _, err := h(mctx, msg); err != nil {
				return runtime.Wrapf(err, "message %d (%s)", i, typeURL)
			}
		}
		return nil
	})
	if err != nil {
		return txResult(err, gas, events)
	}
	if err := msgBranch.Write(); err != nil {
		return txResult(err, gas, events)
	}
	return txResult(nil, gas, append(events, mctx.EventManager().Events()...))
}

// guard runs f, turning an out-of-gas panic into ErrOutOfGas and any other panic
// into ErrPanic: nothing a client sends may crash the node.
func (a *App) guard(gas *runtime.GasMeter, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if oog, ok := r.(runtime.OutOfGasPanic); ok {
				err = runtime.ErrOutOfGas.Wrapf("out of gas in %s: gas wanted %d, used more than that", oog.Descriptor, gas.Limit())
				return
			}
			a.logger.Error("panic while executing a tx", "panic", r, "stack", string(debug.Stack()))
			err = runtime.ErrPanic.Wrapf("%v", r)
		}
	}()
	return f()
}

func txResult(err error, gas *runtime.GasMeter, events []abci.Event) abci.ExecTxResult {
	// Both fit int64 for any admitted tx (max_tx_gas); the clamp keeps a refused
	// tx that declared more from reporting a negative gas_wanted.
	wanted := min(gas.Limit(), math.MaxInt64)
	used := min(gas.Consumed(), wanted)
	res := abci.ExecTxResult{GasWanted: int64(wanted), GasUsed: int64(used), Events: events}
	if err != nil {
		res.Codespace, res.Code, res.Log = runtime.ABCIInfo(err)
	}
	return res
}
