package app

import (
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/poai/voteext"
)

// ExtendVote asks the module that owns vote extensions (x/poai, once it lands) for
// this validator's extension; without one the extension is empty.
func (a *App) ExtendVote(_ context.Context, req *abci.RequestExtendVote) (*abci.ResponseExtendVote, error) {
	if a.poaiOn() {
		return &abci.ResponseExtendVote{VoteExtension: a.poaiExtension(req.Height)}, nil
	}
	v := a.mm.VoteExtender()
	if v == nil {
		return &abci.ResponseExtendVote{}, nil
	}
	ctx, err := a.voteContext(req.Height)
	if err == nil {
		var ext []byte
		if ext, err = v.ExtendVote(ctx, req); err == nil {
			return &abci.ResponseExtendVote{VoteExtension: ext}, nil
		}
	}
	// A validator that cannot build its extension still votes: an empty one costs it
	// only what the module decides, never the chain's liveness.
	a.logger.Error("vote extension failed; voting with an empty one", "height", req.Height, "err", err)
	return &abci.ResponseExtendVote{}, nil
}

// VerifyVoteExtension rejects only what the owning module calls malformed; an
// empty extension is always accepted. Rejecting drops the precommit and can stall
// the chain (DESIGN.md), so modules must never reject one merely for disagreeing.
func (a *App) VerifyVoteExtension(_ context.Context, req *abci.RequestVerifyVoteExtension) (*abci.ResponseVerifyVoteExtension, error) {
	accept := &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_ACCEPT}
	if a.poaiOn() {
		// Only malformed, oversized, wrong-version or wrong-height extensions; never
		// for what the scores say.
		if err := voteext.VerifyExtension(req.VoteExtension, req.Height); err != nil {
			a.logger.Info("rejecting a malformed PoAI vote extension", "height", req.Height, "validator", fmt.Sprintf("%X", req.ValidatorAddress), "err", err)
			return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
		}
		return accept, nil
	}
	v := a.mm.VoteExtender()
	if v == nil || len(req.VoteExtension) == 0 {
		return accept, nil
	}
	ctx, err := a.voteContext(req.Height)
	if err != nil {
		return nil, err
	}
	ok, err := v.VerifyVoteExtension(ctx, req)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
	}
	return accept, nil
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
