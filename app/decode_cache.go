package app

import (
	"crypto/sha256"

	"github.com/selfchain/selfchain/app/tx"
)

// maxDecodedCache bounds the txs kept decoded between the proposal hooks and FinalizeBlock.
const maxDecodedCache = 50_000

// decodeCached decodes a block tx once per height: PrepareProposal, ProcessProposal
// and FinalizeBlock (all on the consensus connection) share the result, and
// FinalizeBlock clears it. Decoding is a pure function of the bytes, so a hit
// cannot change an outcome.
//
// A block tx may be as large as the consensus bound tx.MaxTxBytes (1 MiB), never
// a node-local one: app.toml's max-tx-bytes only limits what this node's CheckTx
// admits (Config.Validate keeps it within the bound), and a block another node
// proposes must be judged the same way everywhere. CometBFT's block.max_bytes
// bounds the block's txs together before the app sees them.
func (a *App) decodeCached(bz []byte) (*tx.Tx, error) {
	h := sha256.Sum256(bz)
	if t, ok := a.decoded[h]; ok {
		return t, nil
	}
	t, err := tx.Decode(bz, a.msgs, tx.MaxTxBytes)
	if err == nil && len(a.decoded) < maxDecodedCache {
		a.decoded[h] = t
	}
	return t, err
}
