// Package server runs a SELF Chain node: the application and an in-process
// CometBFT node wired to it, and the files a node home holds (config,
// keys, genesis). cmd/selfchaind and constellation both build on it.
package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app"
)

// Option adjusts how Start reads a home.
type Option func(*options)

type options struct {
	overrides map[string]any
	comet     []func(*cmtcfg.Config)
	app       []func(*app.Config)
}

// WithCometOverrides sets config.toml keys ("rpc.laddr", "consensus.timeout_commit", ...)
// on top of the file, as command-line flags do.
func WithCometOverrides(kv map[string]any) Option {
	return func(o *options) {
		if o.overrides == nil {
			o.overrides = map[string]any{}
		}
		for k, v := range kv {
			o.overrides[k] = v
		}
	}
}

// WithCometConfig edits the loaded CometBFT config before the node is built.
func WithCometConfig(f func(*cmtcfg.Config)) Option {
	return func(o *options) { o.comet = append(o.comet, f) }
}

// WithAppConfig edits the loaded app.toml settings before the app is built.
func WithAppConfig(f func(*app.Config)) Option {
	return func(o *options) { o.app = append(o.app, f) }
}

// Node is a running application with its CometBFT node.
type Node struct {
	comet *node.Node
	app   *app.App
	db    dbm.DB
	conf  *cmtcfg.Config
	dbs   dbTracker
	api   *txAPI // app.toml [api]; nil when off

	stopOnce sync.Once
	stopErr  error
}

// Start loads the home's config.toml and app.toml, opens the application
// state, and starts CometBFT in-process with the file-based validator key and
// node key. ctx bounds the start-up (handshake and replay of stored blocks);
// a started node runs until Stop.
func Start(ctx context.Context, home string, logger cmtlog.Logger, opts ...Option) (*Node, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if logger == nil {
		logger = cmtlog.NewNopLogger()
	}
	conf, err := LoadCometConfig(home, o.overrides)
	if err != nil {
		return nil, err
	}
	for _, f := range o.comet {
		f(conf)
	}
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	appCfg, err := app.LoadConfig(home)
	if err != nil {
		return nil, err
	}
	for _, f := range o.app {
		f(&appCfg)
	}
	if err := appCfg.Validate(); err != nil {
		return nil, err
	}
	if appCfg.StateSync.SnapshotDir == "" {
		appCfg.StateSync.SnapshotDir = SnapshotDir(conf)
	}
	if err := checkMempoolConfig(conf); err != nil {
		return nil, err
	}
	// Checked before anything is opened: CometBFT's loaders exit the process on a bad file.
	pv, err := loadPrivValidator(conf)
	if err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	if _, err := os.Stat(conf.GenesisFile()); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}

	// Next to CometBFT's databases (<home>/data unless config.toml's db_dir moves them).
	db, err := appCfg.OpenStateDB(conf.DBDir())
	if err != nil {
		return nil, fmt.Errorf("open application db: %w", err)
	}
	appCfg.UpgradeInfoDir = conf.DBDir()
	a, err := app.New(logger.With("module", "app"), db, appCfg)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open application: %w", err)
	}
	if conf.Mempool.Type == cmtcfg.MempoolTypeApp {
		// CometBFT only gossips; the app admits, orders and builds blocks (docs/MEMPOOL.md).
		a.EnableAppMempool(app.MempoolLimits{MaxTxs: conf.Mempool.Size, MaxBytes: conf.Mempool.MaxTxsBytes})
	}
	a.SetValidatorAddress(pv.GetAddress()) // its PoAI extensions skip what the chain already has from it
	if err := prepareRestore(conf, a); err != nil {
		_ = a.Close()
		_ = db.Close()
		return nil, err
	}
	n := &Node{app: a, db: db, conf: conf}
	n.dbs.txIndexBackend = appCfg.TxIndex.DBBackend
	// CometBFT's own version lines say "0.39.0", its fallback constant (app/version.go).
	logger.Info("starting SELF Chain node", "version", app.Version, "cometbft", app.CometBFTVersion)

	// One mutex per ABCI connection, not one for all: CheckTx keeps running while a
	// block executes (the app guards its own state; see DESIGN.md).
	n.comet, err = node.NewNodeWithContext(ctx, conf, pv, nodeKey,
		proxy.NewConnSyncLocalClientCreator(a),
		node.DefaultGenesisDocProviderFunc(conf),
		n.dbs.provider,
		node.DefaultMetricsProvider(conf.Instrumentation),
		logger,
	)
	if err != nil {
		n.dbs.closeAll()
		_ = n.closeApp()
		return nil, fmt.Errorf("create node: %w", err)
	}
	// Bound before CometBFT starts: a taken port fails the start, not a later request.
	if n.api, err = n.listenAPI(appCfg); err != nil {
		n.dbs.closeAll()
		_ = n.closeApp()
		return nil, err
	}
	if err := n.comet.Start(); err != nil {
		if n.api != nil {
			n.api.close()
		}
		n.dbs.closeAll()
		_ = n.closeApp()
		return nil, fmt.Errorf("start node: %w", err)
	}
	if n.api != nil {
		n.api.serve(logger.With("module", "txapi"))
		logger.Info("tx API listening", "address", "http://"+n.api.Addr()+TxAPIPath)
	}
	return n, nil
}

// listenAPI binds app.toml [api] address, if set, for POST /txs into this node's mempool.
func (n *Node) listenAPI(appCfg app.Config) (*txAPI, error) {
	addr, err := appCfg.API.ListenAddr()
	if err != nil || addr == "" {
		return nil, err
	}
	h := &txAPIHandler{
		mempool:    n.comet.Mempool(),
		maxTxBytes: n.conf.Mempool.MaxTxBytes,
		// A submission may wait for room up to admit-wait (app mempool), then CheckTx runs.
		checkWait: appCfg.Mempool.AdmitWait + 10*time.Second,
	}
	if r, ok := n.comet.MempoolReactor().(interface{ WaitSync() bool }); ok {
		h.waitSync = r.WaitSync
	}
	return listenTxAPI(addr, h)
}

// loadPrivValidator loads the file validator key and its last-sign state,
// returning errors where privval.LoadFilePV would exit the process.
func loadPrivValidator(conf *cmtcfg.Config) (*privval.FilePV, error) {
	keyFile, stateFile := conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile()
	bz, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("validator key: %w", err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(bz, &key); err != nil || key.PrivKey == nil {
		return nil, fmt.Errorf("validator key %s: not a priv_validator_key.json (%v)", keyFile, err)
	}
	sbz, err := os.ReadFile(stateFile)
	if err != nil {
		return nil, fmt.Errorf("validator sign state (keeps the node from double-signing): %w", err)
	}
	var st privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(sbz, &st); err != nil {
		return nil, fmt.Errorf("validator sign state %s: %w", stateFile, err)
	}
	return privval.LoadFilePV(keyFile, stateFile), nil
}

// Stop stops CometBFT, then closes the application and its database. It is safe to call twice.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		var errs []error
		// First: no new txs while CometBFT stops.
		if n.api != nil {
			if err := n.api.stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop tx API: %w", err))
			}
		}
		if n.comet.IsRunning() {
			if err := n.comet.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop node: %w", err))
			}
			n.comet.Wait()
		}
		n.dbs.closeAll()
		errs = append(errs, n.closeApp())
		n.stopErr = errors.Join(errs...)
	})
	return n.stopErr
}

func (n *Node) closeApp() error {
	var errs []error
	if err := n.app.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close application: %w", err))
	}
	if err := n.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close application db: %w", err))
	}
	return errors.Join(errs...)
}

// RPCAddress is the CometBFT RPC listen address, e.g. tcp://127.0.0.1:26657.
func (n *Node) RPCAddress() string { return n.conf.RPC.ListenAddress }

// APIAddress is the tx API's base URL, e.g. http://127.0.0.1:26659; "" when off.
func (n *Node) APIAddress() string {
	if n.api == nil {
		return ""
	}
	return "http://" + n.api.Addr()
}

// Config is the CometBFT configuration the node runs with.
func (n *Node) Config() *cmtcfg.Config { return n.conf }

// App is the running application.
func (n *Node) App() *app.App { return n.app }

// Comet is the CometBFT node (block store, switch, event bus).
func (n *Node) Comet() *node.Node { return n.comet }

// UpgradeHalt delivers the error of a halt at an upgrade height (the app has
// stopped executing blocks): stop the node and exit with app.ExitCodeUpgradeNeeded.
func (n *Node) UpgradeHalt() <-chan *app.UpgradeNeededError { return n.app.UpgradeHalt() }

// Wait blocks until the CometBFT node has stopped (by Stop or by itself).
func (n *Node) Wait() { n.comet.Wait() }

// checkMempoolConfig refuses settings under which an app-mempool node would never
// propose a block: CometBFT's AppMempool never signals "txs available", so a node
// that waits for txs before proposing would wait forever.
func checkMempoolConfig(conf *cmtcfg.Config) error {
	if conf.Mempool.Type == cmtcfg.MempoolTypeApp && !conf.Consensus.CreateEmptyBlocks && conf.Consensus.CreateEmptyBlocksInterval == 0 {
		return fmt.Errorf("%s: [mempool] type = \"app\" needs consensus.create_empty_blocks = true (or a create_empty_blocks_interval): the app mempool never tells CometBFT that txs are waiting; to wait for txs, set [mempool] type = \"flood\"", CometConfigPath(conf.RootDir))
	}
	return nil
}
