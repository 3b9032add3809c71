package app

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"text/template"

	"github.com/BurntSushi/toml"

	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
)

// Config is the node-local application configuration, read from <home>/config/app.toml.
// Nothing here is consensus-critical: two nodes may differ in all of it.
type Config struct {
	// MinGasPrices is the node's floor for admitting txs to its mempool, e.g. "0.001uself".
	MinGasPrices string      `toml:"minimum-gas-prices"`
	State        StateConfig `toml:"state"`
	// MaxTxBytes bounds a tx admitted by CheckTx.
	MaxTxBytes   int `toml:"max-tx-bytes"`
	SigCacheSize int `toml:"sig-cache-size"`
	// Registry: the node's own heartbeats to x/registry (off by default).
	Registry RegistryConfig `toml:"registry"`
}

// RegistryConfig lets `selfchaind start` send its own x/registry heartbeats, signed by an
// operator key from the home's keyring and submitted through the node's own RPC.
// Keys are spelled as in the x/registry issue ([registry] auto_heartbeat).
type RegistryConfig struct {
	AutoHeartbeat bool `toml:"auto_heartbeat"`
	// OperatorKey is the keyring key (name or address) that owns the node(s).
	OperatorKey string `toml:"operator_key"`
	// KeyringBackend of the home's keyring: file (passphrase from $SELFCHAIN_KEYRING_PASSPHRASE) or test.
	KeyringBackend string `toml:"keyring_backend"`
	// NodeID limits heartbeats to one node; empty: every non-expired node of the operator.
	NodeID string `toml:"node_id"`
	// HeartbeatInterval is the number of blocks between heartbeats (keep it well below the
	// chain's stale_after_blocks).
	HeartbeatInterval int64 `toml:"heartbeat_interval"`
}

type StateConfig struct {
	// DBBackend is "pebbledb" (default), "goleveldb", or "rocksdb" (binary built with -tags rocksdb).
	DBBackend         string `toml:"db-backend"`
	Pruning           string `toml:"pruning"` // nothing | default | everything | custom
	PruningKeepRecent uint64 `toml:"pruning-keep-recent"`
	PruningInterval   uint64 `toml:"pruning-interval"`
	IAVLCacheSize     int    `toml:"iavl-cache-size"`
}

func DefaultConfig() Config {
	return Config{
		MinGasPrices: "0.001uself",
		State:        StateConfig{DBBackend: "pebbledb", Pruning: "default", IAVLCacheSize: 100_000},
		MaxTxBytes:   tx.DefaultMaxTxBytes,
		SigCacheSize: 100_000,
		Registry:     RegistryConfig{KeyringBackend: "file", HeartbeatInterval: 100},
	}
}

// Validate checks the config, naming the bad key.
func (c Config) Validate() error {
	if _, err := tx.ParseGasPrices(c.MinGasPrices); err != nil {
		return fmt.Errorf("app.toml minimum-gas-prices: %w", err)
	}
	switch c.State.DBBackend {
	case "pebbledb", "goleveldb", "rocksdb", "memdb":
	default:
		return fmt.Errorf("app.toml state.db-backend: unknown backend %q (want pebbledb, goleveldb or rocksdb)", c.State.DBBackend)
	}
	if _, err := c.PruningOptions(); err != nil {
		return fmt.Errorf("app.toml state.pruning: %w", err)
	}
	if c.MaxTxBytes <= 0 {
		return fmt.Errorf("app.toml max-tx-bytes: must be positive")
	}
	if r := c.Registry; r.AutoHeartbeat {
		if r.OperatorKey == "" {
			return fmt.Errorf("app.toml registry.operator_key: auto_heartbeat needs the keyring key that owns the node")
		}
		if r.HeartbeatInterval <= 0 {
			return fmt.Errorf("app.toml registry.heartbeat_interval: must be a positive number of blocks")
		}
	}
	return nil
}

func (c Config) PruningOptions() (store.PruningOptions, error) {
	return store.NewPruningOptions(c.State.Pruning, c.State.PruningKeepRecent, c.State.PruningInterval)
}

// ConfigPath is where a node home keeps app.toml.
func ConfigPath(home string) string { return filepath.Join(home, "config", "app.toml") }

// LoadConfig reads app.toml over the defaults; a missing file means the defaults.
func LoadConfig(home string) (Config, error) {
	c := DefaultConfig()
	bz, err := os.ReadFile(ConfigPath(home))
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	md, err := toml.Decode(string(bz), &c)
	if err != nil {
		return c, fmt.Errorf("%s: %w", ConfigPath(home), err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return c, fmt.Errorf("%s: unknown key %q", ConfigPath(home), und[0].String())
	}
	return c, c.Validate()
}

const configTemplate = `# SELF Chain node-local application settings (not consensus-critical).

# The node's floor for admitting a tx to its mempool: the fee must cover gas x price
# in at least one listed denom, e.g. "0.001uself". Empty admits free txs.
minimum-gas-prices = "{{ .MinGasPrices }}"

# Largest tx (bytes) CheckTx admits.
max-tx-bytes = {{ .MaxTxBytes }}

# Verified-signature cache entries (a tx checked in CheckTx is not re-verified in its block).
sig-cache-size = {{ .SigCacheSize }}

[state]
# pebbledb (default), goleveldb, or rocksdb (only in a binary built with -tags rocksdb).
db-backend = "{{ .State.DBBackend }}"
# nothing: keep every version; default: keep 362880 recent, prune every 10 blocks;
# everything: keep 2 recent, prune every 10; custom: use the two values below.
pruning = "{{ .State.Pruning }}"
pruning-keep-recent = {{ .State.PruningKeepRecent }}
pruning-interval = {{ .State.PruningInterval }}
# IAVL node cache size (nodes) per module tree.
iavl-cache-size = {{ .State.IAVLCacheSize }}

[registry]
# Send this node's x/registry heartbeats from 'selfchaind start' (signed by operator_key
# from this home's keyring, submitted through the node's own RPC).
auto_heartbeat = {{ .Registry.AutoHeartbeat }}
# Keyring key (name or address) that owns the node.
operator_key = "{{ .Registry.OperatorKey }}"
# file (passphrase from $SELFCHAIN_KEYRING_PASSPHRASE) or test.
keyring_backend = "{{ .Registry.KeyringBackend }}"
# Only this node id; empty: every non-expired node of the operator.
node_id = "{{ .Registry.NodeID }}"
# Blocks between heartbeats; keep it well below the chain's stale_after_blocks.
heartbeat_interval = {{ .Registry.HeartbeatInterval }}
`

// WriteConfig writes c as a commented app.toml.
func WriteConfig(home string, c Config) error {
	var buf bytes.Buffer
	if err := template.Must(template.New("app").Parse(configTemplate)).Execute(&buf, c); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(ConfigPath(home)), 0o755); err != nil {
		return err
	}
	return os.WriteFile(ConfigPath(home), buf.Bytes(), 0o644)
}
