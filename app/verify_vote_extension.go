package app

import (
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
)

// VerifyVoteExtension rejects only malformed, oversized, wrong-version or
// wrong-height extensions; an empty one is always accepted, and scores are never
// judged here. Rejecting drops the precommit and can stall the chain (DESIGN.md).
func (a *App) VerifyVoteExtension(_ context.Context, req *abci.RequestVerifyVoteExtension) (*abci.ResponseVerifyVoteExtension, error) {
	if err := verifyPoAIExtension(req.VoteExtension, req.Height); err != nil {
		a.logger.Info("rejecting a malformed PoAI vote extension", "height", req.Height, "validator", fmt.Sprintf("%X", req.ValidatorAddress), "err", err)
		return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
	}
	return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_ACCEPT}, nil
}
