package app

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"
)

// ExtendVote adds nothing yet: x/poai will carry its AI scores here.
func (a *App) ExtendVote(_ context.Context, _ *abci.RequestExtendVote) (*abci.ResponseExtendVote, error) {
	return &abci.ResponseExtendVote{}, nil
}

// VerifyVoteExtension accepts every extension: rejecting one drops the precommit
// and can stall the chain (see DESIGN.md), so a bad extension is ignored, not refused.
func (a *App) VerifyVoteExtension(_ context.Context, _ *abci.RequestVerifyVoteExtension) (*abci.ResponseVerifyVoteExtension, error) {
	return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_ACCEPT}, nil
}
