package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/node"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/statesync"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/snapshots"
)

// RestoreLocalSnapshot makes a node with an empty data directory start from one of its
// own snapshots (`selfchaind snapshots restore`): the offline form of state sync, as the
// SDK's `snapshots restore` followed by `comet bootstrap-state`. The snapshot's app hash
// comes from a light client of the chain (config.toml [statesync] rpc_servers and trust
// options, as for state sync), never from the snapshot itself; the app restores through
// the same OfferSnapshot/ApplySnapshotChunk path as a network restore, which checks
// every chunk and the final app hash; then CometBFT's state and block stores are
// bootstrapped at the height, so that `start` goes on with block sync from the next one.
func RestoreLocalSnapshot(ctx context.Context, home string, height int64, overrides map[string]any, logger cmtlog.Logger) error {
	conf, err := LoadCometConfig(home, overrides)
	if err != nil {
		return err
	}
	if len(conf.StateSync.RPCServers) < 2 || conf.StateSync.TrustHeight <= 0 || len(conf.StateSync.TrustHashBytes()) == 0 {
		return errors.New("restore needs a light client to verify the snapshot's app hash: give --state-sync.rpc-servers a,b (two RPC servers of the chain), --trust-height and --trust-hash (or set them in config.toml [statesync])")
	}
	files := snapshots.NewFiles(SnapshotDir(conf))
	meta, err := files.Metadata(height)
	if err != nil {
		return fmt.Errorf("snapshot of height %d in %s: %w (see `selfchaind snapshots list`)", height, files.Dir(), err)
	}
	gen, err := LoadGenesis(conf.GenesisFile())
	if err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	if meta.ChainID != gen.ChainID {
		return fmt.Errorf("the snapshot is of chain %q, this home's genesis is %q", meta.ChainID, gen.ChainID)
	}

	// The app hash after block H is in header H+1: the light client verifies it.
	sp, err := statesync.NewLightClientStateProvider(ctx, gen.ChainID,
		sm.InitStateVersion,
		gen.InitialHeight, conf.StateSync.RPCServers, light.TrustOptions{
			Period: conf.StateSync.TrustPeriod,
			Height: conf.StateSync.TrustHeight,
			Hash:   conf.StateSync.TrustHashBytes(),
		}, logger.With("module", "light"))
	if err != nil {
		return fmt.Errorf("light client: %w", err)
	}
	appHash, err := sp.AppHash(ctx, uint64(height))
	if err != nil {
		return fmt.Errorf("light client: the app hash of height %d: %w", height, err)
	}

	if err := restoreApp(ctx, home, gen, meta, files, appHash); err != nil {
		return err
	}
	logger.Info("application state restored; bootstrapping CometBFT's stores", "height", height, "app_hash", fmt.Sprintf("%X", appHash))
	if err := node.BootstrapStateWithGenProvider(ctx, conf, cometDBProvider, node.DefaultGenesisDocProviderFunc(conf), uint64(height), appHash); err != nil {
		return fmt.Errorf("bootstrap CometBFT state at height %d: %w (the application state is restored; remove data/blockstore.db and data/state.db and run restore again)", height, err)
	}
	return nil
}

// restoreApp feeds a local snapshot to a stopped node's empty app, chunk by chunk.
func restoreApp(ctx context.Context, home string, gen *cmttypes.GenesisDoc, meta snapshots.Metadata, files *snapshots.Files, appHash []byte) (err error) {
	a, closeApp, err := OpenApp(home)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeApp()) }()
	if last := a.LastCommitID(); last.Version != 0 {
		return fmt.Errorf("this home already has state at height %d: restore needs an empty data directory (a fresh `selfchaind init` home with the chain's genesis)", last.Version)
	}
	setRestoreGenesis(a, gen)
	offer, err := a.OfferSnapshot(ctx, &abci.RequestOfferSnapshot{Snapshot: snapshots.ABCISnapshot(meta), AppHash: appHash})
	if err != nil {
		return err
	}
	if offer.Result != abci.ResponseOfferSnapshot_ACCEPT {
		return fmt.Errorf("the app refused the snapshot of height %d (%s): it does not match the chain's app hash or this binary's stores", meta.Height, strings.ToLower(offer.Result.String()))
	}
	for i := range meta.ChunkHashes {
		chunk, err := files.Chunk(meta.Height, uint32(i))
		if err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		resp, err := a.ApplySnapshotChunk(ctx, &abci.RequestApplySnapshotChunk{Index: uint32(i), Chunk: chunk, Sender: "local"})
		if err != nil {
			return err
		}
		if resp.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
			return fmt.Errorf("chunk %d refused (%s): the local snapshot is damaged or not the chain's state at height %d; load a good copy with `snapshots load`", i, strings.ToLower(resp.Result.String()), meta.Height)
		}
	}
	if got := a.LastCommitID(); got.Version != meta.Height {
		return fmt.Errorf("restore ended at height %d, want %d", got.Version, meta.Height)
	}
	return nil
}
