package voteext

import (
	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
)

// ScoresFromCommit reads the block scores each vote of an (already validated)
// injected extended commit carried: a vote for the block with a signed,
// well-formed extension contributes its blocks; any other contributes nothing.
// Which of them the chain takes (window, block hash, tx count, scorer) is x/poai's
// RecordScores' decision.
func ScoresFromCommit(c *abci.ExtendedCommitInfo) []VoteScores {
	var out []VoteScores
	for _, v := range c.Votes {
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit || len(v.ExtensionSignature) == 0 || len(v.VoteExtension) == 0 {
			continue
		}
		ve, err := DecodeExtension(v.VoteExtension)
		if err != nil || len(ve.Blocks) == 0 {
			continue
		}
		vs := VoteScores{ConsAddress: v.Validator.Address, Blocks: make([]BlockScoresRecord, len(ve.Blocks))}
		for i, b := range ve.Blocks {
			vs.Blocks[i] = BlockScoresRecord{Height: b.Height, BlockHash: b.BlockHash, ModelID: b.ModelId, TxIndices: b.TxIndices, Risks: b.Risks}
		}
		out = append(out, vs)
	}
	return out
}
