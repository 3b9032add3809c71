package app

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/tx"
)

// ProcessProposal rejects a proposal holding a tx that does not decode or pass
// stateless checks, txs whose declared gas sums over block.max_gas, or (when the block must carry one) a bad injected extended
// commit; state-dependent failures are left to FinalizeBlock, where they fail that
// tx alone.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	a.budget.proposalStarted()
	txs := req.Txs
	if a.injectsCommit(req.Height) {
		if err := a.checkInjectedCommit(req); err != nil {
			a.logger.Info("rejecting a proposal: bad injected extended commit", "height", req.Height, "err", err)
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		txs = txs[1:]
	}
	gas := a.newBlockGas()
	decoded := make([]*tx.Tx, len(txs))
	for i, bz := range txs {
		t, err := a.decodeCached(bz)
		if err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		if !gas.add(t) {
			a.logger.Info("rejecting a proposal: its txs declare more gas than block.max_gas", "height", req.Height, "max_gas", a.blockMaxGas)
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		decoded[i] = t
	}
	// Accepted: load what the block will write while the network decides on it.
	a.prefetchWrites(decoded)
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}
