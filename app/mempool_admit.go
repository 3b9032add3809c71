package app

import (
	"context"
	"errors"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/mempool"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth/ante"
)

// admitTx is the app mempool's admission, for CheckTx (RPC) and InsertTx (peers)
// alike. Callers run it concurrently: decoding, the stateless checks and the
// signature check (which fills the shared signature cache) take no lock; only the
// state check and the insert hold the sender's lock, so different senders are
// admitted in parallel on every core.
func (a *App) admitTx(bz []byte) abci.ExecTxResult {
	var admitted *tx.Tx
	res := a.admit(bz, &admitted)
	if admitted != nil {
		// Outside the sender's lock: its next tx need not wait for this.
		a.preVerifyMsgs(admitted)
	}
	return res
}

// admit is admitTx but the modules' pre-verification; it sets *admitted to the
// decoded tx once it is in the pool.
func (a *App) admit(bz []byte, admitted **tx.Tx) abci.ExecTxResult {
	fail := func(err error) abci.ExecTxResult { return txResult(err, runtime.NewGasMeter(0), nil) }
	if err := refuseInjectedTx(bz); err != nil {
		return fail(err)
	}
	t, err := tx.Decode(bz, a.msgs, a.cfg.MaxTxBytes)
	if err != nil {
		return fail(err)
	}
	if err := a.checkBlockGas(t); err != nil {
		return fail(err)
	}
	if a.pool.Has(t.Hash) {
		return fail(runtime.ErrTxInMempool.Wrapf("tx %X is already pending", t.Hash))
	}
	if a.LastCommitID().Version == 0 {
		return fail(runtime.ErrInvalidRequest.Wrap("the node has not committed its first block yet: retry in a moment"))
	}
	// The expensive part, outside any lock: the signature against committed state.
	// The ante below finds it in the cache (same inputs); for a new account whose
	// key is not on chain yet and a tx that omits it, the ante verifies inline.
	if br, err := a.cms.BranchAt(a.LastCommitID().Version); err == nil {
		ctx := a.mempoolContext(br, a.LastCommitID().Version)
		if acc, found, err := a.AuthKeeper.GetAccount(ctx, t.Signer); err == nil && found {
			ante.PreVerify(a.sigs, a.chainID, t, acc, nil)
		}
	}

	sender := string(t.Signer)
	lock := a.pool.SenderLock(sender)
	lock.Lock()
	defer lock.Unlock()
	// Read the version under the lock: the re-check after Commit takes the same
	// lock after the new version is visible, so the view and the pool agree.
	version := a.LastCommitID().Version
	br, err := a.cms.BranchAt(version)
	if err != nil {
		return fail(runtime.ErrInvalidRequest.Wrapf("read committed state: %v", err))
	}
	view := br.Branch()
	ctx := a.mempoolContext(view, version)
	committed, res := a.accountView(ctx, t)
	if res != nil {
		return *res
	}
	res2 := a.runTx(ctx, view, t)
	if res2.Code != 0 {
		return res2
	}
	// A replacement must leave the sender's later pending txs able to pay.
	if later := a.pool.Pending(sender, t.Sequence()+1); len(later) > 0 {
		if err := a.deductPending(ctx, t, later); err != nil {
			return fail(runtime.ErrInsufficientFunds.Wrapf("replacing sequence %d would leave the %d later pending txs unable to pay their fees: %v", t.Sequence(), len(later), err))
		}
	}
	evicted, err := a.pool.Insert(mempool.NewTx(t, bz), committed)
	if err != nil {
		return fail(poolError(err))
	}
	if len(evicted) > 0 {
		metricMempoolEvicted.Add(float64(len(evicted)))
	}
	*admitted = t
	return res2
}

// accountView prepares ctx's branch as the sender's account will be when t's turn
// comes: the committed account with the pending txs before t applied (their fees
// paid, sequence advanced, public key recorded), so that the ordinary ante judges t.
// It returns the committed sequence, or the refusal.
func (a *App) accountView(ctx *runtime.Context, t *tx.Tx) (uint64, *abci.ExecTxResult) {
	fail := func(err error) (uint64, *abci.ExecTxResult) {
		r := txResult(err, runtime.NewGasMeter(0), nil)
		return 0, &r
	}
	acc, found, err := a.AuthKeeper.GetAccount(ctx, t.Signer)
	if err != nil {
		return fail(err)
	}
	if !found {
		return 0, nil // the ante refuses it with its own message
	}
	committed := acc.Sequence
	pending := a.pool.Pending(string(t.Signer), committed)
	seq := t.Sequence()
	switch {
	case seq < committed:
		return fail(runtime.ErrInvalidSequence.Wrapf("account sequence mismatch: expected %d, got %d (already used)", committed+uint64(len(pending)), seq))
	case seq > committed+uint64(len(pending)):
		// Gaps are refused rather than parked: a parked tx holds room no block can
		// use, and a client that resends in order (or re-queries the sequence) is
		// served at once.
		return fail(runtime.ErrInvalidSequence.Wrapf("account sequence mismatch: expected %d, got %d (%d committed, %d pending: send the missing sequences first)",
			committed+uint64(len(pending)), seq, committed, len(pending)))
	}
	before := pending[:seq-committed]
	if len(before) == 0 {
		return committed, nil
	}
	if err := a.deductPending(ctx, t, before); err != nil {
		return fail(runtime.ErrInsufficientFunds.Wrapf("the account's %d pending txs before this one already spend its balance on fees: %v", len(before), err))
	}
	acc, _, err = a.AuthKeeper.GetAccount(ctx, t.Signer)
	if err != nil {
		return fail(err)
	}
	acc.Sequence = seq
	if acc.PublicKey == nil {
		for _, p := range before {
			if pk := p.Tx.PubKey(); pk != nil {
				acc.PublicKey = &types.PubKey{Type: pk.Type, Key: pk.Key}
				break
			}
		}
	}
	if err := a.AuthKeeper.SetAccount(ctx, acc); err != nil {
		return fail(err)
	}
	return committed, nil
}

// deductPending pays the fees of txs (of t's sender) in ctx's branch.
func (a *App) deductPending(ctx *runtime.Context, t *tx.Tx, txs []*mempool.Tx) error {
	for _, p := range txs {
		if err := a.BankKeeper.DeductFee(ctx, t.Signer, p.Tx.Fee()); err != nil {
			return err
		}
	}
	return nil
}

func (a *App) mempoolContext(br *store.Branch, version int64) *runtime.Context {
	return runtime.NewContext(context.Background(), br, runtime.Header{ChainID: a.chainID, Height: version + 1}, runtime.ModeCheck, a.logger)
}

// poolError maps the index's refusals to registered codes.
func poolError(err error) error {
	switch {
	case errors.Is(err, mempool.ErrFull):
		return runtime.ErrMempoolFull.Wrap(err.Error())
	case errors.Is(err, mempool.ErrDuplicate):
		return runtime.ErrTxInMempool.Wrap(err.Error())
	case errors.Is(err, mempool.ErrUnderpriced):
		return runtime.ErrReplacementUnderpriced.Wrap(err.Error())
	case errors.Is(err, mempool.ErrSequenceGap), errors.Is(err, mempool.ErrSequenceStale):
		return runtime.ErrInvalidSequence.Wrap(err.Error())
	}
	return runtime.ErrInvalidRequest.Wrap(err.Error())
}
