package app

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// PrepareProposal takes mempool txs in order while they fit the byte budget and the
// block gas limit (the sum of declared gas limits, as CometBFT counts it), dropping
// any that do not decode — exactly the rule ProcessProposal enforces, so a
// proposal this builds is always accepted. The budget is CometBFT's: every tx,
// the injected commit included, is counted by txBlockBytes. With the app mempool
// the txs come from the pool instead (proposeFromPool), under the same rules.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	out := make([][]byte, 0, len(req.Txs)+1)
	var size int64
	if a.injectsCommit(req.Height) {
		inj, err := a.injectedCommit(req)
		if err != nil {
			// Never an error to CometBFT (an ABCI error from PrepareProposal crashes
			// the node): propose an empty block without the commit. ProcessProposal
			// rejects it, so this round fails and the next proposer tries; the log
			// says what to fix (normally block.max_bytes).
			a.logger.Error("PoAI: cannot build the injected extended commit; proposing an empty block that will be rejected", "height", req.Height, "err", err)
			return &abci.ResponsePrepareProposal{}, nil
		}
		// The injected commit comes first and out of the txs' byte budget.
		out = append(out, inj)
		size += txBlockBytes(inj)
	}
	gas := a.newBlockGas()
	if a.pool != nil {
		// The app owns the mempool: CometBFT hands no txs (its AppMempool reaps none).
		return &abci.ResponsePrepareProposal{Txs: a.proposeFromPool(out, req.Height, size, req.MaxTxBytes, &gas)}, nil
	}
	// CometBFT's flood mempool hands everything that fits the bytes; this node
	// takes no more than it measured it executes in a block time (ProposalTxCap).
	room := a.ProposalTxCap()
	for _, bz := range req.Txs {
		// Undecodable txs are skipped before the size check so that a large one
		// cannot end the block early.
		t, err := a.decodeCached(bz)
		if err != nil {
			continue
		}
		n := txBlockBytes(bz)
		if room == 0 || size+n > req.MaxTxBytes || !gas.add(t) {
			break
		}
		size += n
		out = append(out, bz)
		room--
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// txBlockBytes is what one tx costs in a block's data, counted as CometBFT counts it
// when it validates the proposal (types.Txs.Validate): the tx bytes plus their
// protobuf field tag and length prefix. Counting raw lengths instead lets a full
// mempool of large txs overshoot MaxTxBytes, which CometBFT treats as a fatal
// consensus failure.
func txBlockBytes(bz []byte) int64 {
	return cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{bz})
}
