package main

import (
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/server"
)

// State sync flags of `start`. Joining is CometBFT's [statesync] in config.toml; the
// short spellings below are the issue's (`--state-sync.rpc-servers a,b --trust-height H
// --trust-hash X`): giving RPC servers turns state sync on for that run.
const (
	flagSSRPCServers    = "state-sync.rpc-servers"
	flagSSTrustHeight   = "trust-height"
	flagSSTrustHash     = "trust-hash"
	flagSSTrustPeriod   = "trust-period"
	flagSSDiscoveryTime = "state-sync.discovery-time"
	flagSnapInterval    = "state-sync.snapshot-interval"
	flagSnapKeep        = "state-sync.snapshot-keep-recent"
)

// stateSyncCometKeys maps the short flags to config.toml keys.
var stateSyncCometKeys = []struct{ flag, key, usage string }{
	{flagSSRPCServers, "statesync.rpc_servers", "join by state sync: two or more comma-separated RPC servers (host:port) the light client verifies the snapshot's header against (turns statesync.enable on)"},
	{flagSSTrustHeight, "statesync.trust_height", "state sync: a trusted height of the chain (with --trust-hash), e.g. from a node you trust"},
	{flagSSTrustHash, "statesync.trust_hash", "state sync: the block hash at --trust-height (hex)"},
	{flagSSTrustPeriod, "statesync.trust_period", "state sync: how long a trusted header stays trusted, e.g. 168h (below the unbonding period)"},
	{flagSSDiscoveryTime, "statesync.discovery_time", "state sync: how long to collect snapshot offers before restoring, at least 5s (default 15s)"},
}

func addStateSyncFlags(f *pflag.FlagSet) {
	f.Bool("statesync.enable", false, "config.toml statesync.enable: join by state sync when the node has no state")
	for _, s := range stateSyncCometKeys {
		f.String(s.flag, "", s.usage)
	}
	f.Uint64(flagSnapInterval, 0, "app.toml state-sync.snapshot-interval: take a snapshot every N blocks (0: none)")
	f.Uint32(flagSnapKeep, 0, "app.toml state-sync.snapshot-keep-recent: snapshots to keep")
}

// stateSyncOverrides adds the config.toml keys the state sync flags set.
func stateSyncOverrides(v *viper.Viper, out map[string]any) {
	if v.IsSet("statesync.enable") {
		out["statesync.enable"] = v.GetBool("statesync.enable")
	}
	for _, s := range stateSyncCometKeys {
		if v.IsSet(s.flag) && v.GetString(s.flag) != "" {
			out[s.key] = v.GetString(s.flag)
		}
	}
	if _, ok := out["statesync.rpc_servers"]; ok && !v.IsSet("statesync.enable") {
		out["statesync.enable"] = true
	}
}

// snapshotOptions applies the snapshot flags to app.toml's settings for this run.
func snapshotOptions(v *viper.Viper) []server.Option {
	if !v.IsSet(flagSnapInterval) && !v.IsSet(flagSnapKeep) {
		return nil
	}
	interval, keep := v.GetUint64(flagSnapInterval), v.GetUint32(flagSnapKeep)
	return []server.Option{server.WithAppConfig(func(c *app.Config) {
		if v.IsSet(flagSnapInterval) {
			c.StateSync.SnapshotInterval = interval
		}
		if v.IsSet(flagSnapKeep) {
			c.StateSync.SnapshotKeepRecent = keep
		}
	})}
}
