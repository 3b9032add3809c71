// Package voteext carries Proof-of-AI scores through CometBFT vote extensions:
// the extension format (ExtendVote / VerifyVoteExtension), the extended commit the
// next proposer injects as a block's first tx (PrepareProposal / ProcessProposal),
// and the deterministic aggregation FinalizeBlock runs on it (stake-weighted
// median risk per tx, each validator's agreement with it). The timeline is in
// docs/modules/poai-voteext.md.
//
// It declares the narrow State it needs, which x/poai's Keeper implements (the app
// wires the keeper in app.New); its record types are aliases of x/poai's.
package voteext

import (
	"context"

	cmtcrypto "github.com/cometbft/cometbft/crypto"

	"github.com/selfchain/selfchain/x/poai"
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

// The records the pipeline hands the keeper are x/poai's own types (aliases, not
// copies): the keeper is the State, with no adapter in between. x/poai does not
// import this package.
type (
	// BlockTx is the (hash, signer address) of one block tx.
	BlockTx = poai.BlockTx
	// TxRisk is the aggregated risk (0..1000) of tx Index of a block.
	TxRisk = poai.TxRisk
	// AgreementSignal is one validator's showing for one scored block: Scored is
	// true when its vote carried a valid extension with scores for the right block
	// (an empty score list on an empty block counts as scored); Agreement is in
	// parts per million (0 when !Scored).
	AgreementSignal = poai.AgreementSignal
)

// x/poai's keeper is the State the app wires in.
var _ State = poai.Keeper{}
