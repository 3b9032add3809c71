package app

import (
	"context"
	"errors"
	"time"

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
//
// A client's tx (CheckTx) waits up to wait for room; a peer's (InsertTx, peer)
// never waits and has twice the room (mempool.Pool.PeerRoom).
func (a *App) admitTx(bz []byte, wait time.Duration, peer bool) abci.ExecTxResult {
	var admitted *tx.Tx
	res := a.admit(bz, wait, peer, &admitted)
	if admitted != nil {
		// Outside the sender's lock: its next tx need not wait for this.
		a.preVerifyMsgs(admitted)
	}
	return res
}

// admit is admitTx but the modules' pre-verification; it sets *admitted to the
// decoded tx once it is in the pool.
func (a *App) admit(bz []byte, wait time.Duration, peer bool, admitted **tx.Tx) abci.ExecTxResult {
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
	sender := string(t.Signer)
	// Backpressure before any expensive work: with ahead-blocks' worth of txs
	// pending, wait for a block to make room (mempool_budget.go).
	start := time.Now()
	var room bool
	if peer {
		room = a.pool.PeerRoom(sender, t.Sequence())
	} else {
		room = a.pool.WaitRoom(sender, t.Sequence(), wait)
	}
	slotStart := time.Now()
	waitRoom.Add(slotStart.Sub(start).Seconds())
	if !room {
		metricMempoolFull.Inc()
		txs, bytes := a.pool.AdmitLimit()
		if peer {
			return fail(runtime.ErrMempoolFull.Wrapf("the pool holds %d× its admission limit (%d txs or %d bytes) for peers' txs",
				mempool.PeerRoomFactor, txs, bytes))
		}
		return fail(runtime.ErrMempoolFull.Wrapf("the pool holds %d proposals' worth of txs (at most %d txs, what this node executes in %s, or %d bytes): retry after the next block",
			a.budget.ahead, txs, a.budget.target, bytes))
	}
	a.budget.slots.Acquire()
	defer a.budget.slots.Release()
	waitSlot.Add(time.Since(slotStart).Seconds())

	// The expensive part, outside the sender's lock: the signature against
	// committed state. The ante below finds it in the cache (same inputs); for a
	// new account whose key is not on chain yet and a tx that omits it, the ante
	// verifies inline.
	version := a.LastCommitID().Version
	root, err := a.committedAt(version)
	if err != nil {
		return fail(runtime.ErrInvalidRequest.Wrapf("read committed state: %v", err))
	}
	// One nested branch for the signature's read and the ante below: the read
	// writes nothing, and the account it read is then remembered by the shared root.
	view := root.Branch()
	ctx := a.mempoolContext(view, version)
	if acc, found, err := a.AuthKeeper.GetAccount(ctx, t.Signer); err == nil && found {
		ante.PreVerify(a.sigs, a.chainID, t, acc, nil)
	}

	lock := a.pool.SenderLock(sender)
	lock.Lock()
	defer lock.Unlock()
	// Read the version under the lock: the re-check after Commit takes the same
	// lock after the new version is visible, so the view and the pool agree. The
	// branch read above serves unless a block committed in between.
	if v := a.LastCommitID().Version; v != version {
		version = v
		if root, err = a.committedAt(version); err != nil {
			return fail(runtime.ErrInvalidRequest.Wrapf("read committed state: %v", err))
		}
		view = root.Branch()
		ctx = a.mempoolContext(view, version)
	}
	committed, pv, res := a.accountView(ctx, t)
	if res != nil {
		return *res
	}
	res2 := a.runTx(ctx, view, t)
	if res2.Code != 0 {
		return res2
	}
	// A replacement must leave the sender's later pending txs able to pay.
	if pv.Later > 0 {
		if err := a.BankKeeper.DeductFee(ctx, t.Signer, pv.FeesLater); err != nil {
			return fail(runtime.ErrInsufficientFunds.Wrapf("replacing sequence %d would leave the %d later pending txs unable to pay their fees: %v", t.Sequence(), pv.Later, err))
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
// comes: the committed account with the pending txs before t applied (their fees,
// summed by the pool, paid at once; sequence advanced; public key recorded), so
// that the ordinary ante judges t. It returns the committed sequence and the
// pool's view of the sender, or the refusal.
func (a *App) accountView(ctx *runtime.Context, t *tx.Tx) (uint64, mempool.SenderView, *abci.ExecTxResult) {
	fail := func(err error) (uint64, mempool.SenderView, *abci.ExecTxResult) {
		r := txResult(err, runtime.NewGasMeter(0), nil)
		return 0, mempool.SenderView{}, &r
	}
	acc, found, err := a.AuthKeeper.GetAccount(ctx, t.Signer)
	if err != nil {
		return fail(err)
	}
	if !found {
		return 0, mempool.SenderView{}, nil // the ante refuses it with its own message
	}
	committed := acc.Sequence
	seq := t.Sequence()
	pv, err := a.pool.View(string(t.Signer), committed, seq)
	if err != nil {
		return fail(runtime.ErrInsufficientFunds.Wrapf("the account's pending txs: %v", err))
	}
	switch {
	case seq < committed:
		return fail(runtime.ErrInvalidSequence.Wrapf("account sequence mismatch: expected %d, got %d (already used)", committed+uint64(pv.Pending), seq))
	case seq > committed+uint64(pv.Pending):
		// Gaps are refused rather than parked: a parked tx holds room no block can
		// use, and a client that resends in order (or re-queries the sequence) is
		// served at once.
		return fail(runtime.ErrInvalidSequence.Wrapf("account sequence mismatch: expected %d, got %d (%d committed, %d pending: send the missing sequences first)",
			committed+uint64(pv.Pending), seq, committed, pv.Pending))
	}
	before := seq - committed
	if before == 0 {
		return committed, pv, nil
	}
	// Deducting the sum at once succeeds exactly when deducting each fee in turn
	// would: fees are not negative, so the sum is the largest prefix.
	if err := a.BankKeeper.DeductFee(ctx, t.Signer, pv.FeesBefore); err != nil {
		return fail(runtime.ErrInsufficientFunds.Wrapf("the account's %d pending txs before this one already spend its balance on fees: %v", before, err))
	}
	acc.Sequence = seq
	if acc.PublicKey == nil && pv.PubKey != nil {
		acc.PublicKey = &types.PubKey{Type: pv.PubKey.Type, Key: pv.PubKey.Key}
	}
	if err := a.AuthKeeper.SetAccount(ctx, acc); err != nil {
		return fail(err)
	}
	return committed, pv, nil
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
