package app

import (
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/poai/voteext"
)

// ExtendVote returns this validator's PoAI extension: its analyzer's scores of the
// previous block, or an empty extension when there is no report in time (never an
// error: a validator that cannot build one still votes).
func (a *App) ExtendVote(_ context.Context, req *abci.RequestExtendVote) (*abci.ResponseExtendVote, error) {
	return &abci.ResponseExtendVote{VoteExtension: a.poaiExtension(req.Height)}, nil
}

// VerifyVoteExtension rejects only malformed, oversized, wrong-version or
// wrong-height extensions; an empty one is always accepted, and scores are never
// judged here. Rejecting drops the precommit and can stall the chain (DESIGN.md).
func (a *App) VerifyVoteExtension(_ context.Context, req *abci.RequestVerifyVoteExtension) (*abci.ResponseVerifyVoteExtension, error) {
	if err := voteext.VerifyExtension(req.VoteExtension, req.Height); err != nil {
		a.logger.Info("rejecting a malformed PoAI vote extension", "height", req.Height, "validator", fmt.Sprintf("%X", req.ValidatorAddress), "err", err)
		return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
	}
	return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_ACCEPT}, nil
}

// voteContext reads the last committed state: vote extensions are produced and
// checked outside block execution, never on a block's branch.
func (a *App) voteContext(height int64) (*runtime.Context, error) {
	br, err := a.cms.BranchAt(a.LastCommitID().Version)
	if err != nil {
		return nil, err
	}
	return runtime.NewContext(context.Background(), br, runtime.Header{ChainID: a.chainID, Height: height}, runtime.ModeQuery, a.logger), nil
}

// poaiExtension is this validator's extension for a vote at height: its analyzer's
// report on block height-1, waited for at most [poai] extend-vote-wait. No report
// in time (or the analyzer off) gives an empty extension, never an error.
func (a *App) poaiExtension(height int64) []byte {
	p := a.poai.pipeline
	if p == nil || height < 2 { // nothing was committed before the first block
		return nil
	}
	rep, ok := p.Wait(height-1, a.cfg.PoAI.ExtendVoteWait)
	if !ok {
		a.logger.Info("PoAI analyzer report not ready; voting with an empty extension", "height", height)
		return nil
	}
	ext, err := voteext.BuildExtension(rep, len(rep.Risks))
	if err != nil {
		a.logger.Error("PoAI extension", "height", height, "err", err)
		return nil
	}
	return ext
}
