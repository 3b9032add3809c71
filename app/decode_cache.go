package app

import (
	"crypto/sha256"
	"unsafe"

	"github.com/selfchain/selfchain/app/tx"
)

// maxDecodedCache bounds the txs kept decoded between the proposal hooks and FinalizeBlock.
const maxDecodedCache = 50_000

// txRef names a tx by the memory it was decoded from: its first byte and its
// length. The pointer in the key keeps that memory alive while the entry
// exists, so no other tx can come to live at the same address.
type txRef struct {
	first *byte
	n     int
}

func refOf(bz []byte) txRef { return txRef{unsafe.SliceData(bz), len(bz)} }

// decodeCached decodes a block tx once per height: PrepareProposal, ProcessProposal
// and FinalizeBlock (all on the consensus connection) share the result, and
// FinalizeBlock clears it. Decoding is a pure function of the bytes, so a hit
// cannot change an outcome.
//
// The first lookup is by address: with an in-process CometBFT, ProcessProposal
// and FinalizeBlock of a block get the very same tx slices (block.Txs), and
// CometBFT never writes into a block's txs, so the same memory is the same
// bytes and the tx need not be hashed again (a 10,000-proof block is ~19 MB of
// SHA-256). Anything else (another process's ABCI client, a copied slice) falls
// back to the SHA-256 of the bytes.
//
// A block tx may be as large as the consensus bound tx.MaxTxBytes (1 MiB), never
// a node-local one: app.toml's max-tx-bytes only limits what this node's CheckTx
// admits (Config.Validate keeps it within the bound), and a block another node
// proposes must be judged the same way everywhere. CometBFT's block.max_bytes
// bounds the block's txs together before the app sees them.
func (a *App) decodeCached(bz []byte) (*tx.Tx, error) {
	if len(bz) == 0 {
		return tx.Decode(bz, a.msgs, tx.MaxTxBytes)
	}
	ref := refOf(bz)
	if t, ok := a.decodedAt[ref]; ok {
		return t, nil
	}
	h := sha256.Sum256(bz)
	t, ok := a.decoded[h]
	if !ok {
		var err error
		if t, err = tx.Decode(bz, a.msgs, tx.MaxTxBytes); err != nil {
			return t, err
		}
		if len(a.decoded) < maxDecodedCache {
			a.decoded[h] = t
		}
	}
	if len(a.decodedAt) < maxDecodedCache {
		a.decodedAt[ref] = t
	}
	return t, nil
}
