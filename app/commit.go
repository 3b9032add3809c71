package app

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// Commit persists the state FinalizeBlock wrote, moves CheckTx onto it and starts
// the app mempool's re-check of the accounts the block touched.
func (a *App) Commit(_ context.Context, _ *abci.RequestCommit) (*abci.ResponseCommit, error) {
	if a.finalized == nil {
		return nil, fmt.Errorf("commit without a finalized block")
	}
	start := time.Now()
	id, err := a.cms.Commit()
	if err != nil {
		return nil, fmt.Errorf("commit state: %w", err)
	}
	a.budget.measured(time.Since(start))
	if id.Version != a.finalized.height {
		return nil, fmt.Errorf("committed version %d for block %d: state and chain disagree", id.Version, a.finalized.height)
	}
	if err := a.db.Set(lastBlockTimeKey, binary.BigEndian.AppendUint64(nil, uint64(a.finalized.time.UnixNano()))); err != nil {
		return nil, fmt.Errorf("record block time: %w", err)
	}
	a.lastBlockTime.Store(a.finalized.time.UnixNano())
	a.snapshotCommitted(id.Version, a.finalized.time)
	a.finalized = nil
	a.lastCommit.Store(&id)
	if err := a.resetCheckState(id.Version); err != nil {
		return nil, err
	}
	a.startRecheck(id.Version) // returns at once: the block's events wait for Commit, not for it
	metricProposalCap.Set(float64(a.budget.blockDone(a.pool)))
	a.submitAnalysis()
	metricCommit.Observe(time.Since(start).Seconds())
	metricHeight.Set(float64(id.Version))
	return &abci.ResponseCommit{}, nil
}
