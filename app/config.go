package app

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/poai/analyzer"
)

// Config is the node-local application configuration, read from <home>/config/app.toml.
// Nothing here is consensus-critical: two nodes may differ in all of it.
type Config struct {
	// MinGasPrices is the node's floor for admitting txs to its mempool, e.g. "0.001uself".
	MinGasPrices string      `toml:"minimum-gas-prices"`
	State        StateConfig `toml:"state"`
	// MaxTxBytes bounds a tx admitted by CheckTx: at most tx.MaxTxBytes, the
	// consensus bound on a block tx (a larger tx could never be included).
	MaxTxBytes   int `toml:"max-tx-bytes"`
	SigCacheSize int `toml:"sig-cache-size"`
	// Bech32Prefix is the chain's address prefix ("self" when empty); selfchaind
	// applies it at process start, before any address is parsed (see ReadBech32Prefix).
	Bech32Prefix string `toml:"bech32-prefix"`
	// PoAI is this validator's AI analyzer (node-local: scores only reach the chain
	// through its signed vote extension).
	PoAI PoAIConfig `toml:"poai"`
	// Registry: the node's own heartbeats to x/registry (off by default).
	Registry RegistryConfig `toml:"registry"`
	// UpgradeInfoDir is where a node halted for an upgrade writes upgrade-info.json
	// (the node's data directory; set by the server, not app.toml).
	UpgradeInfoDir string `toml:"-"`
	// StateSync: the snapshots this node takes and serves (config_statesync.go).
	StateSync StateSyncConfig `toml:"state-sync"`
	// Server: the node process (config_server.go).
	Server ServerConfig `toml:"server"`
	// API: the node's binary tx submission endpoint (config_api.go).
	API APIConfig `toml:"api"`
	// TxIndex: the database of CometBFT's tx indexer (config_txindex.go).
	TxIndex TxIndexConfig `toml:"tx-index"`
	// Mempool bounds the app-side mempool's blocks and admission (config.toml
	// [mempool] type = "app"; unused with CometBFT's flood mempool).
	Mempool MempoolConfig `toml:"mempool"`
}

// MempoolConfig is app.toml [mempool] (docs/MEMPOOL.md, "Bounds under overload").
type MempoolConfig struct {
	// BlockTime is how long this node's proposals should take to execute and
	// commit here: a proposal takes at most the txs this node measured it runs in
	// that time.
	BlockTime time.Duration `toml:"block-time"`
	// AheadBlocks is how many proposals' worth of txs (the proposal cap's count and
	// a block's tx bytes) the pool admits before new txs wait for room.
	AheadBlocks int `toml:"ahead-blocks"`
	// AdmitWait is how long an RPC submission waits for room before it is
	// refused with selfchain/32045 (mempool is full; a retry code).
	AdmitWait time.Duration `toml:"admit-wait"`
}

// PoAIConfig is app.toml [poai].
type PoAIConfig struct {
	// Analyzer is "builtin" (default), "llm", "off" (empty vote extensions), or
	// "random-test-only" (a deliberately dishonest analyzer for network tests).
	Analyzer string `toml:"analyzer"`
	// ExtendVoteWait bounds how long ExtendVote waits for the analyzer's report on
	// the previous block before voting with an empty extension.
	ExtendVoteWait time.Duration      `toml:"extend-vote-wait"`
	LLM            analyzer.LLMConfig `toml:"llm"`
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
	// DBCacheSize is pebble's block cache, e.g. "256MiB"; empty means store.DefaultDBCacheBytes.
	DBCacheSize string `toml:"db-cache-size"`
	// NoWritePrefetch turns off loading a block's written IAVL paths ahead of its
	// flush (store.MultiStore.Prefetch): tests compare against the plain path.
	NoWritePrefetch bool `toml:"-"`
}

// OpenStateDB opens the node's application database ("application" under dir,
// CometBFT's data directory) with [state]'s backend and options.
func (c Config) OpenStateDB(dir string) (dbm.DB, error) {
	o, err := c.State.DBOptions()
	if err != nil {
		return nil, err
	}
	return store.OpenDBWith(c.State.DBBackend, "application", dir, o)
}

// DBOptions are the state database's options from [state]; Validate has checked them.
func (c StateConfig) DBOptions() (store.DBOptions, error) {
	if c.DBCacheSize == "" {
		return store.DBOptions{}, nil
	}
	n, err := store.ParseByteSize(c.DBCacheSize)
	if err != nil {
		return store.DBOptions{}, fmt.Errorf("app.toml state.db-cache-size: %w", err)
	}
	return store.DBOptions{CacheBytes: n}, nil
}

func DefaultConfig() Config {
	return Config{
		MinGasPrices: "0.001uself",
		State:        StateConfig{DBBackend: "pebbledb", Pruning: "default", IAVLCacheSize: store.DefaultIAVLCacheSize, DBCacheSize: store.FormatByteSize(store.DefaultDBCacheBytes)},
		MaxTxBytes:   tx.DefaultMaxTxBytes,
		SigCacheSize: 100_000,
		PoAI:         PoAIConfig{Analyzer: analyzer.ModeBuiltin, ExtendVoteWait: 300 * time.Millisecond, LLM: analyzer.DefaultLLMConfig()},
		Registry:     RegistryConfig{KeyringBackend: "file", HeartbeatInterval: 100},
		StateSync:    defaultStateSyncConfig(),
		Mempool:      MempoolConfig{BlockTime: 500 * time.Millisecond, AheadBlocks: 2, AdmitWait: time.Second},
		Server:       ServerConfig{MemoryLimit: DefaultMemoryLimit},
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
	if _, err := c.State.DBOptions(); err != nil {
		return err
	}
	if _, err := c.PruningOptions(); err != nil {
		return fmt.Errorf("app.toml state.pruning: %w", err)
	}
	if c.MaxTxBytes <= 0 || c.MaxTxBytes > tx.MaxTxBytes {
		return fmt.Errorf("app.toml max-tx-bytes: %d, want more than 0 and at most %d (the largest tx a block may carry)", c.MaxTxBytes, tx.MaxTxBytes)
	}
	if m := c.Mempool; m.BlockTime < 10*time.Millisecond || m.BlockTime > time.Minute {
		return fmt.Errorf("app.toml mempool.block-time: %s, want 10ms to 1m (how long a proposal should take to execute here, e.g. \"500ms\")", m.BlockTime)
	}
	if m := c.Mempool; m.AheadBlocks < 1 || m.AheadBlocks > 100 {
		return fmt.Errorf("app.toml mempool.ahead-blocks: %d, want 1 to 100 (proposals' worth of txs the pool holds before new txs wait)", m.AheadBlocks)
	}
	if m := c.Mempool; m.AdmitWait < 0 || m.AdmitWait > time.Minute {
		return fmt.Errorf("app.toml mempool.admit-wait: %s, want 0 to 1m (how long a submission waits for room)", m.AdmitWait)
	}
	if c.Bech32Prefix != "" && !crypto.ValidBech32Prefix(c.Bech32Prefix) {
		return fmt.Errorf("app.toml bech32-prefix: %q is not 1-32 lowercase letters and digits starting with a letter", c.Bech32Prefix)
	}
	if r := c.Registry; r.AutoHeartbeat {
		if r.OperatorKey == "" {
			return fmt.Errorf("app.toml registry.operator_key: auto_heartbeat needs the keyring key that owns the node")
		}
		if r.HeartbeatInterval <= 0 {
			return fmt.Errorf("app.toml registry.heartbeat_interval: must be a positive number of blocks")
		}
	}
	if err := c.StateSync.Validate(); err != nil {
		return err
	}
	if _, err := c.Server.MemoryLimitBytes(); err != nil {
		return err
	}
	if _, err := c.API.ListenAddr(); err != nil {
		return err
	}
	if err := c.TxIndex.Validate(); err != nil {
		return err
	}
	return c.PoAI.Validate()
}

// Validate checks [poai], naming the bad key.
func (c PoAIConfig) Validate() error {
	switch c.Analyzer {
	case analyzer.ModeBuiltin, analyzer.ModeOff, analyzer.ModeRandomTestOnly:
	case analyzer.ModeLLM:
		if err := c.LLM.Validate(); err != nil {
			return fmt.Errorf("app.toml %w", err)
		}
	default:
		return fmt.Errorf("app.toml poai.analyzer: unknown analyzer %q (want %s, %s, %s or %s)", c.Analyzer,
			analyzer.ModeBuiltin, analyzer.ModeLLM, analyzer.ModeOff, analyzer.ModeRandomTestOnly)
	}
	if c.ExtendVoteWait <= 0 || c.ExtendVoteWait > 5*time.Second {
		return fmt.Errorf("app.toml poai.extend-vote-wait: %s, want more than 0 and at most 5s", c.ExtendVoteWait)
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

# Largest tx (bytes) CheckTx admits; at most 1048576, the largest tx a block may carry.
max-tx-bytes = {{ .MaxTxBytes }}

# Verified-signature cache entries (a tx checked in CheckTx is not re-verified in its block).
sig-cache-size = {{ .SigCacheSize }}
{{- if .Bech32Prefix }}

# Address prefix of this chain (default "self"); applied when selfchaind starts.
bech32-prefix = "{{ .Bech32Prefix }}"
{{- end }}

[mempool]
# Only with config.toml [mempool] type = "app" (the application's mempool).
# A proposal of this node takes at most the txs this node measured it executes and
# commits in block-time (so blocks stay about a block time under overload).
block-time = "{{ .Mempool.BlockTime }}"
# The pool admits ahead-blocks proposals' worth of txs (as many as a proposal takes,
# as many bytes as a block carries); beyond that a submission
# waits up to admit-wait for a block to make room, then gets selfchain/32045
# (mempool is full: retry).
ahead-blocks = {{ .Mempool.AheadBlocks }}
admit-wait = "{{ .Mempool.AdmitWait }}"

[state]
# pebbledb (default), goleveldb, or rocksdb (only in a binary built with -tags rocksdb).
db-backend = "{{ .State.DBBackend }}"
# nothing: keep every version; default: keep 362880 recent, prune every 10 blocks;
# everything: keep 2 recent, prune every 10; custom: use the two values below.
pruning = "{{ .State.Pruning }}"
pruning-keep-recent = {{ .State.PruningKeepRecent }}
pruning-interval = {{ .State.PruningInterval }}
# IAVL node cache size (nodes) per module tree; x/poai's tree is capped at 256 (it
# writes a few large values a block, and the cache counts nodes, not bytes).
iavl-cache-size = {{ .State.IAVLCacheSize }}
# pebble's block cache, e.g. "256MiB" (KiB, MiB, GiB; empty: 128MiB). IAVL reads every
# node it misses in its own cache back through it, so it decides how fast an upgrade's
# migration or a state-sync snapshot runs. The node's memory (RSS) grows by up to
# this much as the state grows into it. Ignored by goleveldb and rocksdb.
db-cache-size = "{{ .State.DBCacheSize }}"

[poai]
# This validator's AI analyzer, which scores each committed block's txs for risk and
# signs the scores into its vote extension: "builtin" (a deterministic statistical
# model), "llm" (an OpenAI-compatible endpoint, below; falls back to builtin),
# "off" (empty extensions: costs reputation), or "random-test-only" (a dishonest
# analyzer for network tests; never on a real network).
analyzer = "{{ .PoAI.Analyzer }}"
# How long ExtendVote waits for the analyzer before voting with an empty extension.
extend-vote-wait = "{{ .PoAI.ExtendVoteWait }}"

[poai.llm]
# Chat-completions API base (vLLM, OpenLLM, Ollama, llama.cpp server), e.g. "http://127.0.0.1:8000/v1".
endpoint = "{{ .PoAI.LLM.Endpoint }}"
model = "{{ .PoAI.LLM.Model }}"
timeout = "{{ .PoAI.LLM.Timeout }}"
max-tokens = {{ .PoAI.LLM.MaxTokens }}
# The riskiest txs of each block (by the built-in score) the model sees; the rest keep built-in scores.
max-txs = {{ .PoAI.LLM.MaxTxs }}
# Txs per prompt (what the model's context holds); a block's max-txs go out in prompts sent at once.
prompt-txs = {{ .PoAI.LLM.PromptTxs }}
# Environment variable holding a bearer token, if the endpoint wants one.
api-key-env = "{{ .PoAI.LLM.APIKeyEnv }}"

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
` + stateSyncConfigTemplate + serverConfigTemplate + apiConfigTemplate + txIndexConfigTemplate

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

// ReadBech32Prefix returns app.toml's bech32-prefix ("" when the file or the key
// is absent). It reads only that key, so a command that does not run the node is
// not stopped by an unrelated bad setting.
func ReadBech32Prefix(home string) (string, error) {
	bz, err := os.ReadFile(ConfigPath(home))
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var c struct {
		Bech32Prefix string `toml:"bech32-prefix"`
	}
	if _, err := toml.Decode(string(bz), &c); err != nil {
		return "", fmt.Errorf("%s: %w", ConfigPath(home), err)
	}
	return c.Bech32Prefix, nil
}
