package app

import (
	"context"
	"sort"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/tx"
)

// PrepareProposal takes mempool txs in order while they fit the byte budget and the
// block gas limit (the sum of declared gas limits, as CometBFT counts it), dropping
// any that do not decode — exactly the rule ProcessProposal enforces, so a
// proposal this builds is always accepted. The budget is CometBFT's: every tx,
// the injected commit included, is counted by txBlockBytes. With the app mempool
// the txs come from the pool instead (proposeFromPool), under the same rules.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	a.budget.proposalStarted()
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
		a.setBlockBytes(req.MaxTxBytes)
		// The app owns the mempool: CometBFT hands no txs (its AppMempool reaps none).
		return &abci.ResponsePrepareProposal{Txs: a.proposeFromPool(out, req.Height, size, req.MaxTxBytes, &gas)}, nil
	}
	// CometBFT's flood mempool hands everything that fits the bytes; this node
	// takes no more than it measured it executes in a block time (ProposalTxCap).
	room := a.ProposalTxCap()
	txs, decoded := a.decodeInSenderOrder(req.Txs)
	for i, bz := range txs {
		// Undecodable txs are skipped before the size check so that a large one
		// cannot end the block early.
		t := decoded[i]
		if t == nil {
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

// decodeInSenderOrder decodes txs (nil where a tx does not decode) and puts each
// sender's txs in sequence order within the slots that sender's txs hold; other
// txs keep their place. CometBFT's flood mempool runs CheckTx concurrently (RPC
// handlers and every peer's receive routine) and adds a tx to its list in the
// response callback, after the app's check, so a sender's sequence j+1 arriving
// from one peer can land ahead of j arriving from another. Proposed in that
// order, j+1 fails, j commits, and every later tx of the sender is dropped at
// recheck: the sender is stuck. The proposal is this node's choice, so this is
// not a consensus rule. In-order input (the common case) is returned as is.
func (a *App) decodeInSenderOrder(txs [][]byte) ([][]byte, []*tx.Tx) {
	decoded := make([]*tx.Tx, len(txs))
	// A sender's index into last: the key is allocated once per sender, and a
	// lookup by string(bytes) allocates nothing.
	index := map[string]int{}
	last := make([]uint64, 0, len(txs))
	var disordered map[string]bool
	for i, bz := range txs {
		t, err := a.decodeCached(bz)
		if err != nil {
			continue
		}
		decoded[i] = t
		seq := t.Sequence()
		k, ok := index[string(t.Signer)]
		if !ok {
			k = len(last)
			index[string(t.Signer)] = k
			last = append(last, seq)
			continue
		}
		if seq < last[k] {
			if disordered == nil {
				disordered = map[string]bool{}
			}
			disordered[string(t.Signer)] = true
		}
		last[k] = seq
	}
	if disordered == nil {
		return txs, decoded
	}
	out := append([][]byte(nil), txs...)
	slots := map[string][]int{}
	for i, t := range decoded {
		if t != nil && disordered[string(t.Signer)] {
			slots[string(t.Signer)] = append(slots[string(t.Signer)], i)
		}
	}
	reordered := append([]*tx.Tx(nil), decoded...)
	for _, own := range slots {
		// Stable: equal sequences keep their order (execution refuses the second).
		byseq := append([]int(nil), own...)
		sort.SliceStable(byseq, func(x, y int) bool { return decoded[byseq[x]].Sequence() < decoded[byseq[y]].Sequence() })
		for k, i := range own {
			out[i], reordered[i] = txs[byseq[k]], decoded[byseq[k]]
		}
	}
	return out, reordered
}

// txBlockBytes is what one tx costs in a block's data, counted as CometBFT counts it
// when it validates the proposal (types.Txs.Validate): the tx bytes plus their
// protobuf field tag and length prefix. Counting raw lengths instead lets a full
// mempool of large txs overshoot MaxTxBytes, which CometBFT treats as a fatal
// consensus failure.
func txBlockBytes(bz []byte) int64 {
	return cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{bz})
}
