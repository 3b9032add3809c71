package app

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"
)

// Info tells CometBFT where the app's state is, so the handshake replays exactly
// the blocks the app has not committed.
func (a *App) Info(_ context.Context, _ *abci.RequestInfo) (*abci.ResponseInfo, error) {
	last := a.LastCommitID()
	return &abci.ResponseInfo{
		Data:             infoData(),
		Version:          Version,
		AppVersion:       AppVersion,
		LastBlockHeight:  last.Version,
		LastBlockAppHash: last.Hash,
	}, nil
}
