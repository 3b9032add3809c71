package app

import (
	"context"
	"crypto/sha256"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/tx"
)

// maxDecodedCache bounds the txs kept decoded between the proposal hooks and FinalizeBlock.
const maxDecodedCache = 50_000

// decodeCached decodes a block tx once per height: PrepareProposal, ProcessProposal
// and FinalizeBlock (all on the consensus connection) share the result. Decoding is
// a pure function of the bytes, so a hit cannot change an outcome.
func (a *App) decodeCached(bz []byte) (*tx.Tx, error) {
	h := sha256.Sum256(bz)
	if t, ok := a.decoded[h]; ok {
		return t, nil
	}
	t, err := tx.Decode(bz, a.msgs, 0)
	if err == nil && len(a.decoded) < maxDecodedCache {
		a.decoded[h] = t
	}
	return t, err
}

// PrepareProposal takes mempool txs in order while they fit the byte budget,
// dropping any that do not decode — exactly the rule ProcessProposal enforces, so a
// proposal this builds is always accepted.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	out := make([][]byte, 0, len(req.Txs))
	var size int64
	for _, bz := range req.Txs {
		if size+int64(len(bz)) > req.MaxTxBytes {
			break
		}
		if _, err := a.decodeCached(bz); err != nil {
			continue
		}
		size += int64(len(bz))
		out = append(out, bz)
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// ProcessProposal rejects a proposal holding a tx that does not decode or pass
// stateless checks; state-dependent failures are left to FinalizeBlock, where they
// fail that tx alone.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	for _, bz := range req.Txs {
		if _, err := a.decodeCached(bz); err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}
