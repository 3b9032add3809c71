// Package voteext carries Proof-of-AI scores through CometBFT vote extensions:
// the extension format (ExtendVote / VerifyVoteExtension), the extended commit the
// next proposer injects as a block's first tx (PrepareProposal / ProcessProposal),
// and the deterministic aggregation FinalizeBlock runs on it (stake-weighted
// median risk per tx, each validator's agreement with it). The timeline is in
// docs/modules/poai-voteext.md.
//
// It does not import x/poai: it declares the narrow State it needs, and the app
// wires x/poai's keeper behind it (nil State = vote extensions off).
package voteext

import (
	"context"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
)

// State is what the pipeline needs from x/poai's keeper. Every method is called on
// the consensus connection: ConsensusPubKey with the last committed state
// (ProcessProposal, PrepareProposal), the others inside FinalizeBlock.
type State interface {
	// ConsensusPubKey is the consensus key of the validator with CometBFT address consAddr.
	ConsensusPubKey(ctx context.Context, consAddr []byte) (cmtcrypto.PubKey, error)
	// SetBlockTxs stores the (hash, sender) of every tx of block height (the
	// injected commit excluded); TxRisk.Index later refers to this list.
	SetBlockTxs(ctx context.Context, height int64, txs []BlockTx) error
	// RecordTxRisks stores the aggregated risks of block scoredHeight's txs; the
	// keeper flags those at or above its threshold param.
	RecordTxRisks(ctx context.Context, scoredHeight int64, risks []TxRisk) error
	// RecordAgreement reports, per validator of the commit, whether it scored and
	// how closely it agreed with the medians.
	RecordAgreement(ctx context.Context, height int64, signals []AgreementSignal) error
}

// BlockTx mirrors poai.BlockTx.
type BlockTx struct {
	Hash   []byte
	Sender []byte
}

// TxRisk mirrors poai.TxRisk: the aggregated risk (0..1000) of tx Index of a block.
type TxRisk struct {
	Index uint32
	Risk  uint32
}

// AgreementSignal mirrors poai.AgreementSignal.
type AgreementSignal struct {
	ConsAddress []byte
	// Scored is true when the validator's vote carried a valid, non-empty-signature
	// extension with scores for the right block (an empty score list on an empty
	// block counts as scored).
	Scored bool
	// Agreement with the medians, parts per million (0 when !Scored).
	Agreement uint32
}
