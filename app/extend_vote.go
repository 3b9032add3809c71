package app

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"
)

// ExtendVote returns this validator's PoAI extension: its analyzer's scores of the
// previous block, or an empty extension when there is no report in time (never an
// error: a validator that cannot build one still votes).
func (a *App) ExtendVote(_ context.Context, req *abci.RequestExtendVote) (*abci.ResponseExtendVote, error) {
	return &abci.ResponseExtendVote{VoteExtension: a.poaiExtension(req.Height)}, nil
}
