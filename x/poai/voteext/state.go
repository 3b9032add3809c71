// Package voteext carries Proof-of-AI scores through CometBFT vote extensions:
// the extension format (ExtendVote / VerifyVoteExtension), the extended commit the
// next proposer injects as a block's first tx (PrepareProposal / ProcessProposal),
// the scores FinalizeBlock reads from it, and the node's background analyzer
// pipeline. The chain-side scoring window (medians, flags, reputation) is x/poai's
// (scoring.go). The timeline is in docs/modules/poai-voteext.md.
//
// It declares the narrow State it needs, which x/poai's Keeper implements (the app
// wires the keeper in app.New); its record types are aliases of x/poai's.
package voteext

import (
	"context"

	cmtcrypto "github.com/cometbft/cometbft/crypto"

	"github.com/selfchain/selfchain/x/poai"
)

// PubKeys resolves consensus keys: all the extended-commit checks need.
type PubKeys interface {
	// ConsensusPubKey is the consensus key of the validator with CometBFT address consAddr.
	ConsensusPubKey(ctx context.Context, consAddr []byte) (cmtcrypto.PubKey, error)
}

// State is what the pipeline needs from x/poai's keeper. ConsensusPubKey is
// called with the last committed state (ProcessProposal, PrepareProposal), the
// others inside FinalizeBlock.
type State interface {
	PubKeys
	// SetBlockTxs stores the (hash, sender) of every tx of block height (the
	// injected commit excluded; BlockScores' tx indices refer to this list) and
	// opens the block's scoring window; hash is the block's hash.
	SetBlockTxs(ctx context.Context, height int64, hash []byte, txs []BlockTx) error
	// RecordScores takes the scores the votes for voteHeight carried; it returns
	// why it dropped any (for the node's log).
	RecordScores(ctx context.Context, voteHeight int64, votes []VoteScores) ([]string, error)
	// SettleScores decides and closes the blocks whose time has come.
	SettleScores(ctx context.Context) error
	// Unreported is which of heights a vote for voteHeight should still carry
	// consAddr's scores for (read from committed state by ExtendVote).
	Unreported(ctx context.Context, voteHeight int64, consAddr []byte, heights []int64) ([]int64, error)
}

// The records the pipeline hands the keeper are x/poai's own types (aliases, not
// copies): the keeper is the State, with no adapter in between. x/poai does not
// import this package.
type (
	// BlockTx is the (hash, signer address) of one block tx.
	BlockTx = poai.BlockTx
	// VoteScores is what one vote carried: a validator's scores for some blocks.
	VoteScores = poai.VoteScores
	// BlockScoresRecord is one validator's scores for one block (BlockScores is
	// the wire message).
	BlockScoresRecord = poai.BlockScores
)

// x/poai's keeper is the State the app wires in.
var _ State = poai.Keeper{}
