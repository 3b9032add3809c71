package app

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"
)

// The app-side mempool calls are unused: the node runs CometBFT's flood mempool.

func (a *App) InsertTx(context.Context, *abci.RequestInsertTx) (*abci.ResponseInsertTx, error) {
	return &abci.ResponseInsertTx{}, nil
}

func (a *App) ReapTxs(context.Context, *abci.RequestReapTxs) (*abci.ResponseReapTxs, error) {
	return &abci.ResponseReapTxs{}, nil
}
