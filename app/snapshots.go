package app

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/selfchain/selfchain/app/snapshots"
)

// State sync (docs/OPERATIONS.md, "State sync and snapshots"). The node takes snapshots
// of committed versions in the background (snapshots.Manager) and serves them; a node
// with empty state restores one from peers, chunk by chunk, each checked against the
// metadata's hash, the whole against the light-client-verified app hash.
//
// What is not in the merkle state comes from the joining node's own genesis.json, which
// it trusts as it would for a replay from genesis: the chain id, and the consensus
// block.max_gas and vote-extension enable height (the app has no consensus-params update
// path, so the genesis values are the chain's). The last block time comes from the
// snapshot's metadata: it only serves queries until the first block after the restore
// commits and overwrites it.
type stateSync struct {
	snaps *snapshots.Manager // nil: no snapshot directory

	mu      sync.Mutex // the snapshot connection's state below
	restore *snapshots.Restore
	genesis *restoreGenesis
}

type restoreGenesis struct {
	chainID string
	params  *cmtproto.ConsensusParams
}

func (a *App) openSnapshots() {
	c := a.cfg.StateSync
	if c.SnapshotDir == "" {
		return
	}
	a.ss.snaps = snapshots.NewManager(c.SnapshotDir, a.cms, c.SnapshotInterval, int(c.SnapshotKeepRecent), c.SnapshotChunkSize, a.logger.With("module", "snapshots"))
}

// Snapshots is the node's snapshot manager (nil without a snapshot directory).
func (a *App) Snapshots() *snapshots.Manager { return a.ss.snaps }

// SetRestoreGenesis gives a node with empty state the genesis values a restore needs
// (see stateSync). The node calls it before CometBFT starts.
func (a *App) SetRestoreGenesis(chainID string, params *cmtproto.ConsensusParams) {
	a.ss.mu.Lock()
	defer a.ss.mu.Unlock()
	a.ss.genesis = &restoreGenesis{chainID: chainID, params: params}
}

// snapshotCommitted lets the manager start a snapshot of the version just committed.
func (a *App) snapshotCommitted(height int64, blockTime time.Time) {
	if a.ss.snaps != nil {
		a.ss.snaps.Committed(height, a.chainID, blockTime)
	}
}

func (a *App) closeSnapshots() {
	a.ss.mu.Lock()
	if a.ss.restore != nil {
		a.ss.restore.Abort()
		a.ss.restore = nil
	}
	a.ss.mu.Unlock()
	if a.ss.snaps != nil {
		a.ss.snaps.Close()
	}
}

func (a *App) ListSnapshots(context.Context, *abci.RequestListSnapshots) (*abci.ResponseListSnapshots, error) {
	if a.ss.snaps == nil {
		return &abci.ResponseListSnapshots{}, nil
	}
	list, err := a.ss.snaps.List()
	if err != nil {
		a.logger.Error("list snapshots", "err", err)
		return &abci.ResponseListSnapshots{}, nil
	}
	return &abci.ResponseListSnapshots{Snapshots: list}, nil
}

func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.RequestLoadSnapshotChunk) (*abci.ResponseLoadSnapshotChunk, error) {
	if a.ss.snaps == nil || req == nil {
		return &abci.ResponseLoadSnapshotChunk{}, nil
	}
	return &abci.ResponseLoadSnapshotChunk{Chunk: a.ss.snaps.LoadChunk(req.Height, req.Format, req.Chunk)}, nil
}

func (a *App) OfferSnapshot(_ context.Context, req *abci.RequestOfferSnapshot) (*abci.ResponseOfferSnapshot, error) {
	a.ss.mu.Lock()
	defer a.ss.mu.Unlock()
	if a.ss.restore != nil { // a new offer (or the same one again) replaces the running restore
		a.ss.restore.Abort()
		a.ss.restore = nil
	}
	if last := a.LastCommitID(); last.Version != 0 {
		a.logger.Error("state sync offered a snapshot, but this node already has state: stop and start from an empty data directory", "height", last.Version)
		return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_ABORT}, nil
	}
	if a.ss.genesis == nil {
		a.logger.Error("state sync needs the node's genesis (chain id, consensus params); this app was not given it")
		return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_ABORT}, nil
	}
	meta, result, err := snapshots.CheckOffer(req.GetSnapshot(), req.GetAppHash(), a.cms.Names())
	if err == nil && meta.ChainID != a.ss.genesis.chainID {
		result, err = abci.ResponseOfferSnapshot_REJECT, fmt.Errorf("snapshot of chain %q, this node's genesis is %q", meta.ChainID, a.ss.genesis.chainID)
	}
	if err != nil {
		a.logger.Info("snapshot refused", "height", req.GetSnapshot().GetHeight(), "result", result, "reason", err)
		return &abci.ResponseOfferSnapshot{Result: result}, nil
	}
	a.logger.Info("restoring snapshot", "height", meta.Height, "chunks", len(meta.ChunkHashes), "app_hash", fmt.Sprintf("%X", req.AppHash))
	a.ss.restore = snapshots.StartRestore(a.cms, meta, req.AppHash)
	return &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_ACCEPT}, nil
}

func (a *App) ApplySnapshotChunk(_ context.Context, req *abci.RequestApplySnapshotChunk) (*abci.ResponseApplySnapshotChunk, error) {
	a.ss.mu.Lock()
	defer a.ss.mu.Unlock()
	r := a.ss.restore
	if r == nil || req == nil {
		// No accepted offer: start over with one.
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_RETRY_SNAPSHOT}, nil
	}
	resp, done, err := r.Apply(req.Index, req.Chunk, req.Sender)
	if err != nil {
		a.logger.Error("snapshot chunk refused", "height", r.Meta.Height, "chunk", req.Index, "result", resp.Result, "reason", err)
		if resp.Result != abci.ResponseApplySnapshotChunk_RETRY {
			r.Abort()
			a.ss.restore = nil
		}
		return resp, nil
	}
	if !done {
		return resp, nil
	}
	a.ss.restore = nil
	if err := a.finishRestore(r); err != nil {
		// The state is committed but the node's own records could not be written: a
		// local failure (disk), not the snapshot's.
		return nil, fmt.Errorf("state sync: %w", err)
	}
	return resp, nil
}

// finishRestore writes what the restored state needs outside the merkle trees and moves
// the app onto the restored version.
func (a *App) finishRestore(r *snapshots.Restore) error {
	g := a.ss.genesis
	if err := a.db.SetSync(chainIDKey, []byte(g.chainID)); err != nil {
		return err
	}
	a.chainID = g.chainID
	if err := a.initVoteExtensions(g.params); err != nil {
		return err
	}
	if err := a.initBlockParams(g.params); err != nil {
		return err
	}
	if err := a.db.SetSync(lastBlockTimeKey, binary.BigEndian.AppendUint64(nil, uint64(r.Meta.BlockTime))); err != nil {
		return err
	}
	a.lastBlockTime.Store(r.Meta.BlockTime)
	id := r.ID()
	a.lastCommit.Store(&id)
	if err := a.resetCheckState(id.Version); err != nil {
		return err
	}
	a.logger.Info("snapshot restored", "height", id.Version, "app_hash", fmt.Sprintf("%X", id.Hash))
	return nil
}

// TakeSnapshot writes a snapshot of the last committed version now, into the snapshot
// directory (`selfchaind snapshots export`, on a stopped node's state).
func (a *App) TakeSnapshot(ctx context.Context) (snapshots.Metadata, error) {
	if a.ss.snaps == nil {
		return snapshots.Metadata{}, fmt.Errorf("no snapshot directory configured")
	}
	last := a.LastCommitID()
	if last.Version == 0 {
		return snapshots.Metadata{}, fmt.Errorf("the state is empty: nothing to snapshot")
	}
	return snapshots.Create(ctx, a.cms, a.ss.snaps.Files(), last.Version, a.chainID, a.lastBlockTime.Load(), a.cfg.StateSync.SnapshotChunkSize)
}
