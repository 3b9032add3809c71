package app

import (
	"context"
	goruntime "runtime"
	"sync"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth/ante"
)

// preVerify checks the signatures of a block's txs not yet seen by this node in parallel against the last
// committed state, filling the signature cache. Execution then re-checks each tx in
// order; a hit only skips recomputing a check that already passed with the same
// inputs, so the block's outcome does not depend on scheduling or on this pass.
// Accounts created within the block are not in committed state: those txs are
// simply verified inline during execution.
//
// Modules' message checks (runtime.HasPreVerify) are not run here: measured on
// 10,000 storage proofs, reading each one's challenge from the committed IAVL
// version (a tree walk: BranchAt has no fast index) cost more CPU than the
// hashing it saved (docs/PERFORMANCE.md, "10,000-proof block"). Admission runs
// them (preVerifyMsgs), so a node's own mempool txs arrive checked.
func (a *App) preVerify(txs []*tx.Tx) {
	last := a.LastCommitID().Version
	if last == 0 || len(txs) < 2 {
		return
	}
	// Keys that travel in this block's txs, for later txs of the same new signer.
	known := map[string]*types.PubKey{}
	for _, t := range txs {
		if t != nil && t.PubKey() != nil {
			known[string(t.Signer)] = t.PubKey()
		}
	}
	workers := min(goruntime.GOMAXPROCS(0), len(txs))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			br, err := a.cms.BranchAt(last)
			if err != nil {
				return
			}
			ctx := runtime.NewContext(context.Background(), br, runtime.Header{ChainID: a.chainID, Height: last}, runtime.ModeQuery, a.logger)
			for i := w; i < len(txs); i += workers {
				t := txs[i]
				if t == nil || a.sigs.SeenTx(t.Hash) {
					// Verified by this node's CheckTx (the usual case): skip reading
					// the signer's account and key here. Should the check differ
					// (another account number or key by now), the ante verifies inline.
					continue
				}
				acc, found, err := a.AuthKeeper.GetAccount(ctx, t.Signer)
				if err != nil || !found {
					continue
				}
				ante.PreVerify(a.sigs, a.chainID, t, acc, known[string(t.Signer)])
			}
		}(w)
	}
	wg.Wait()
}

// preVerifyMsgs hands an admitted tx's messages to the modules that pre-verify
// theirs, against the last committed state, so the block that carries the tx
// finds the checks done. Called outside CheckTx's locks; it writes no state.
func (a *App) preVerifyMsgs(t *tx.Tx) {
	if !a.mm.PreVerifies(t.Msgs) {
		return
	}
	last := a.LastCommitID().Version
	br, err := a.cms.BranchAt(last)
	if err != nil {
		return
	}
	ctx := runtime.NewContext(context.Background(), br, runtime.Header{ChainID: a.chainID, Height: last}, runtime.ModeQuery, a.logger)
	a.mm.PreVerify(ctx, t.Msgs)
}
