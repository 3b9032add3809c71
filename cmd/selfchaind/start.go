package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/server"
)

// cometFlags are start flags that override config.toml; each is named after its
// key in the file (as the cometbft binary names them) and, like every flag, can
// come from SELFCHAIN_<KEY> (e.g. SELFCHAIN_RPC_LADDR).
var cometFlags = []struct {
	key, def, usage string
	kind            string // "string", "bool" or "duration" (given as a string)
}{
	{"moniker", "", "node name", "string"},
	{"rpc.laddr", "", "RPC listen address (default tcp://127.0.0.1:26657)", "string"},
	{"rpc.pprof_laddr", "", "pprof listen address, e.g. localhost:6060 (default off)", "string"},
	{"p2p.laddr", "", "p2p listen address (default tcp://0.0.0.0:26656)", "string"},
	{"p2p.external_address", "", "host:port to advertise to peers", "string"},
	{"p2p.seeds", "", "comma-separated <node-id>@host:port seed nodes", "string"},
	{"p2p.persistent_peers", "", "comma-separated <node-id>@host:port peers to stay connected to", "string"},
	{"p2p.pex", "true", "peer exchange", "bool"},
	{"p2p.addr_book_strict", "true", "refuse non-routable peer addresses (turn off for local networks)", "bool"},
	{"p2p.allow_duplicate_ip", "false", "accept several peers from one IP (local networks)", "bool"},
	{"consensus.timeout_commit", "", "wait after a commit before the next height, e.g. 500ms (default 1s)", "string"},
	{"consensus.create_empty_blocks", "true", "produce blocks without txs", "bool"},
	{"consensus.create_empty_blocks_interval", "", "max wait for a block without txs, e.g. 30s", "string"},
	{"mempool.type", "", "mempool: flood (CometBFT's) or app (the application's; docs/MEMPOOL.md)", "string"},
	{"instrumentation.prometheus", "false", "serve Prometheus metrics (CometBFT's and the app's selfchain_*)", "bool"},
	{"instrumentation.prometheus_listen_addr", "", "Prometheus listen address (default :26660)", "string"},
}

// upgradeHaltLinger is how long a node halted for an upgrade keeps its p2p
// connections before it exits.
const upgradeHaltLinger = 3 * time.Second

const (
	flagMinGasPrices = "minimum-gas-prices"
	flagPruning      = "pruning"
	flagAPIAddress   = "api.address"
)

func startCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node (the application with CometBFT in-process) until SIGINT/SIGTERM",
		Long: `Run the node in --home. Flags override config.toml (CometBFT) and app.toml
(application) for this run only; unset flags leave the files' values alone.
SIGINT or SIGTERM stops CometBFT, then closes the application state cleanly.`,
		Example: `  selfchaind start --home ./.devnet
  selfchaind start --rpc.laddr tcp://127.0.0.1:36657 --p2p.laddr tcp://127.0.0.1:36656 --consensus.timeout_commit 500ms
  selfchaind start --minimum-gas-prices 0.001uself --instrumentation.prometheus
  selfchaind start --state-sync.rpc-servers 10.0.0.1:26657,10.0.0.2:26657 --trust-height 1200 --trust-hash 3F1A...`,
		Aliases: []string{"run"},
		Args:    cobra.NoArgs,
		RunE:    runStart,
	}
	f := cmd.Flags()
	for _, cf := range cometFlags {
		if cf.kind == "bool" {
			f.Bool(cf.key, cf.def == "true", cf.usage)
		} else {
			f.String(cf.key, cf.def, cf.usage)
		}
	}
	f.String(flagMinGasPrices, "", "app.toml minimum-gas-prices: the node's mempool fee floor, e.g. 0.001uself")
	f.String(flagPruning, "", "app.toml state.pruning: nothing, default, everything or custom")
	f.String(flagAPIAddress, "", `app.toml api.address: the tx API (POST /txs), e.g. tcp://127.0.0.1:26659; "" turns it off`)
	addStateSyncFlags(f)
	return cmd
}

// startOverrides collects the config.toml keys given by flag or environment.
func startOverrides(cmd *cobra.Command) map[string]any {
	v := clientcli.Settings(cmd)
	out := map[string]any{}
	for _, cf := range cometFlags {
		if v.IsSet(cf.key) {
			out[cf.key] = v.Get(cf.key)
		}
	}
	if v.IsSet(flagLogLevel) && v.GetString(flagLogLevel) != "" {
		out["log_level"] = v.GetString(flagLogLevel)
	}
	if v.IsSet(flagLogFormat) && v.GetString(flagLogFormat) != "" {
		out["log_format"] = v.GetString(flagLogFormat)
	}
	stateSyncOverrides(v, out)
	return out
}

func runStart(cmd *cobra.Command, _ []string) error {
	v := clientcli.Settings(cmd)
	home := v.GetString(clientcli.FlagHome)
	overrides := startOverrides(cmd)
	conf, err := server.LoadCometConfig(home, overrides)
	if err != nil {
		return err
	}
	logger, err := server.NewLogger(os.Stdout, conf.LogFormat, conf.LogLevel)
	if err != nil {
		return err
	}
	if conf.LogFormat != cmtcfg.LogFormatPlain && conf.LogFormat != cmtcfg.LogFormatJSON {
		logger.Info("unknown log_format, using plain", "log_format", conf.LogFormat)
	}
	opts := []server.Option{server.WithCometOverrides(overrides)}
	opts = append(opts, snapshotOptions(v)...)
	if v.IsSet(flagMinGasPrices) || v.IsSet(flagPruning) || v.IsSet(flagAPIAddress) {
		mgp, pruning, api := v.GetString(flagMinGasPrices), v.GetString(flagPruning), v.GetString(flagAPIAddress)
		opts = append(opts, server.WithAppConfig(func(c *app.Config) {
			if v.IsSet(flagMinGasPrices) {
				c.MinGasPrices = mgp
			}
			if v.IsSet(flagPruning) {
				c.State.Pruning = pruning
			}
			if v.IsSet(flagAPIAddress) {
				c.API.Address = api
			}
		}))
	}

	// [registry] auto_heartbeat: open the operator key before starting, to fail fast.
	var hb *heartbeater
	appCfg, appCfgErr := app.LoadConfig(home) // a bad file is reported by server.Start
	if appCfgErr == nil && appCfg.Registry.AutoHeartbeat {
		if hb, err = newHeartbeater(home, appCfg, logger); err != nil {
			return err
		}
	}
	if appCfgErr == nil {
		limit, source, err := server.ApplyMemoryLimit(appCfg.Server)
		if err != nil {
			return err
		}
		logger.Info("Go memory limit", "bytes", limit, "from", source)
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := server.Start(ctx, home, logger, opts...)
	if err != nil {
		return err
	}
	logger.Info("node started", "home", home, "rpc", n.RPCAddress(), "chain_id", n.Comet().GenesisDoc().ChainID)
	hbDone := make(chan struct{})
	if hb != nil {
		go func() { defer close(hbDone); hb.run(ctx, n.RPCAddress()) }()
	} else {
		close(hbDone)
	}
	var halted error
	select {
	case <-ctx.Done():
		logger.Info("signal received, stopping node")
	case uerr := <-n.UpgradeHalt():
		// The app refused to execute the upgrade height: stop, and exit with
		// app.ExitCodeUpgradeNeeded (main) so an orchestrator swaps the binary.
		// Peers still deciding the plan height get its votes and block from this
		// node for a moment (else a validator that lags when the others stop
		// waits at the height before until they come back on the new binary).
		halted = uerr
		logger.Info("halted for an upgrade; serving peers, then stopping", "upgrade", uerr.Plan.Name, "height", uerr.Plan.Height, "linger", upgradeHaltLinger)
		select {
		case <-ctx.Done():
		case <-time.After(upgradeHaltLinger):
		}
		stop()
	}
	<-hbDone // the heartbeat loop ends with ctx, before its RPC goes away
	if err := n.Stop(); err != nil {
		return errors.Join(halted, err)
	}
	logger.Info("node stopped")
	return halted
}
