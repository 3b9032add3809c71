package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/mldsa65"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/store"
)

// Consensus key types a validator may use.
const (
	ConsensusKeyEd25519 = cmttypes.ABCIPubKeyTypeEd25519
	ConsensusKeyMlDsa65 = cmttypes.ABCIPubKeyTypeMlDsa65
)

// DefaultValidatorPower is the voting power init gives the home's own validator.
const DefaultValidatorPower = 10

// InitOption adjusts InitHome.
type InitOption func(*initOptions)

type initOptions struct {
	overwrite   bool
	mempoolType string
}

// DefaultMempoolType is the [mempool] type a new home gets: the application's
// mempool. Four validators under overload kept committing with it and halted
// with CometBFT's flood mempool; one validator measured the same with either
// (docs/MEMPOOL.md, "Choosing the mempool"). An existing config.toml keeps its
// setting, and one without a type runs CometBFT's default, flood.
const DefaultMempoolType = cmtcfg.MempoolTypeApp

// DefaultAppMempoolSize is the config.toml [mempool] size a home with the app
// mempool gets. CometBFT's app mempool ignores size (it stores nothing); the app
// takes it as its pool's hard bound, past which it evicts the lowest fee per gas
// or refuses at once (EnableAppMempool). The bound meant to act under load is
// the admission limit (app.toml ahead-blocks × the measured proposal cap: 20,000
// before the first measured block, ~16,000 at saturation on two cores), where an
// RPC submission waits admit-wait for room. CometBFT's 5,000, sized for its flood
// mempool (which re-checks every pending tx after each block), bound first:
// submissions were refused as full without waiting. 50,000 (what bench.sh has
// always set) is above two full 4 MiB blocks of sends (~20,000 each), beyond
// which a larger admission limit gains nothing; max_txs_bytes (1 GB) still
// bounds the bytes.
const DefaultAppMempoolSize = 50_000

// mempoolSizeFor is the size init writes for mempool type typ: a size still at
// one type's default (CometBFT's 5,000, or DefaultAppMempoolSize) follows the
// type; any other value is the operator's and is kept.
func mempoolSizeFor(typ string, size int) int {
	floodSize := cmtcfg.DefaultMempoolConfig().Size
	switch {
	case typ == cmtcfg.MempoolTypeApp && size == floodSize:
		return DefaultAppMempoolSize
	case typ != cmtcfg.MempoolTypeApp && size == DefaultAppMempoolSize:
		return floodSize
	}
	return size
}

// DefaultCometDBBackend is the config.toml db_backend a new home gets for
// CometBFT's own stores (block store, state, tx index, evidence). goleveldb:
// pebble ("pebbledb", through app/store's adapter, no build tag needed) spends
// less CPU per block but added ~80 MiB of RSS at saturation, past issue 20's
// 400 MiB (docs/PERFORMANCE.md, "CometBFT's stores"). An existing config.toml
// keeps its setting, and a node refuses to open stores another backend wrote.
const DefaultCometDBBackend = "goleveldb"

// DefaultP2PRate is the config.toml p2p send_rate and recv_rate (bytes/s per
// peer) a new home gets: twice app.DefaultBlockMaxBytes, since a block's txs
// cross each connection twice (mempool gossip, then block parts) and a full block
// should reach a peer within a 1 s block time. CometBFT's 5,120,000 takes ~1.6 s
// for a full 4 MiB block of hybrid txs and their gossip.
const DefaultP2PRate = 2 * app.DefaultBlockMaxBytes

// WithMempoolType sets config.toml's [mempool] type ("flood" or "app"); empty
// leaves an existing file's setting and gives a new home DefaultMempoolType.
func WithMempoolType(t string) InitOption { return func(o *initOptions) { o.mempoolType = t } }

// Overwrite lets InitHome replace an existing genesis.json (keys are kept).
func Overwrite(ok bool) InitOption { return func(o *initOptions) { o.overwrite = ok } }

// chainIDRe keeps chain ids printable; CometBFT bounds the length.
var chainIDRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)

// InitHome prepares a node home as `cometbft init` and the SDK's `init` do:
// config/config.toml (CometBFT defaults with moniker), config/app.toml,
// config/node_key.json, config/priv_validator_key.json (consensusKeyType
// "ed25519", the default, or "ml_dsa_65"), data/priv_validator_state.json, and a
// genesis.json with this node as the single validator. Existing keys are kept;
// an existing genesis is an error unless Overwrite(true).
func InitHome(home, moniker, chainID, consensusKeyType string, opts ...InitOption) error {
	var o initOptions
	for _, opt := range opts {
		opt(&o)
	}
	if moniker == "" {
		return errors.New("moniker must not be empty")
	}
	if len(chainID) > cmttypes.MaxChainIDLen || !chainIDRe.MatchString(chainID) {
		return fmt.Errorf("invalid chain id %q: want 1-%d letters, digits, '.', '_' or '-', e.g. selfchain-devnet-1", chainID, cmttypes.MaxChainIDLen)
	}
	if consensusKeyType == "" {
		consensusKeyType = ConsensusKeyEd25519
	}
	if consensusKeyType != ConsensusKeyEd25519 && consensusKeyType != ConsensusKeyMlDsa65 {
		return fmt.Errorf("unknown consensus key type %q: want %s or %s", consensusKeyType, ConsensusKeyEd25519, ConsensusKeyMlDsa65)
	}
	switch o.mempoolType {
	case "", cmtcfg.MempoolTypeFlood, cmtcfg.MempoolTypeApp:
	default:
		return fmt.Errorf("unknown mempool type %q: want %s or %s", o.mempoolType, cmtcfg.MempoolTypeFlood, cmtcfg.MempoolTypeApp)
	}
	conf := cmtcfg.DefaultConfig()
	conf.SetRoot(home)
	genFile := conf.GenesisFile()
	if _, err := os.Stat(genFile); err == nil && !o.overwrite {
		return fmt.Errorf("genesis file %s already exists: pass --overwrite to replace it", genFile)
	}
	for _, dir := range []string{home, filepath.Join(home, cmtcfg.DefaultConfigDir), filepath.Join(home, cmtcfg.DefaultDataDir)} {
		if err := os.MkdirAll(dir, cmtcfg.DefaultDirPerm); err != nil {
			return err
		}
	}

	// config.toml: keep an existing file's settings, only set the moniker.
	if _, err := os.Stat(CometConfigPath(home)); err == nil {
		loaded, err := LoadCometConfig(home, nil)
		if err != nil {
			return err
		}
		conf = loaded
	} else {
		// A new home serves Prometheus metrics (CometBFT's and the app's selfchain_*),
		// on loopback: operators expose it deliberately, not by accident.
		conf.Instrumentation.Prometheus = true
		conf.Instrumentation.PrometheusListenAddr = "127.0.0.1:26660"
		// Sized with the genesis block (app.DefaultBlockMaxBytes).
		conf.P2P.SendRate, conf.P2P.RecvRate = DefaultP2PRate, DefaultP2PRate
		// CometBFT's own default is flood; a new home gets ours.
		conf.Mempool.Type = DefaultMempoolType
		// Written out, unless this home already holds stores another backend
		// wrote (its config.toml was lost).
		conf.DBBackend = DefaultCometDBBackend
		if onDisk, err := store.DiskBackend("blockstore", conf.DBDir()); err != nil {
			return err
		} else if onDisk != "" {
			conf.DBBackend = onDisk
		}
	}
	conf.Moniker = moniker
	if o.mempoolType != "" {
		conf.Mempool.Type = o.mempoolType
	}
	if conf.Mempool.Type == "" {
		// An existing file's empty type is CometBFT's flood: spelled out, not changed.
		conf.Mempool.Type = cmtcfg.MempoolTypeFlood
	}
	conf.Mempool.Size = mempoolSizeFor(conf.Mempool.Type, conf.Mempool.Size)
	if err := writeCometConfig(home, conf); err != nil {
		return err
	}
	if _, err := os.Stat(app.ConfigPath(home)); errors.Is(err, fs.ErrNotExist) {
		ac := app.DefaultConfig()
		// A new home serves the tx API on loopback (an app.toml without [api]: off).
		ac.API.Address = app.DefaultAPIAddress
		// A new home's tx index goes to pebble, unless this home already holds one
		// another backend wrote (its app.toml was lost).
		ac.TxIndex.DBBackend = app.DefaultTxIndexDBBackend
		if onDisk, err := store.DiskBackend(txIndexDB, conf.DBDir()); err != nil {
			return err
		} else if onDisk != "" {
			ac.TxIndex.DBBackend = onDisk
		}
		if err := app.WriteConfig(home, ac); err != nil {
			return err
		}
	}

	if _, err := p2p.LoadOrGenNodeKey(conf.NodeKeyFile()); err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	pub, err := ensurePrivValidator(conf, consensusKeyType)
	if err != nil {
		return err
	}

	appState, err := json.Marshal(app.DefaultGenesisAppState())
	if err != nil {
		return err
	}
	gen := &cmttypes.GenesisDoc{
		GenesisTime:     cmttime.Now(),
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: app.DefaultConsensusParams(),
		Validators:      []cmttypes.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: DefaultValidatorPower, Name: moniker}},
		AppState:        appState,
	}
	if err := addPoaiGenesisValidator(gen, moniker, pub, DefaultValidatorPower, nil, HomeKeyProver(home)); err != nil {
		return err
	}
	if err := ValidateGenesis(gen); err != nil {
		return err
	}
	return gen.SaveAs(genFile)
}

// writeCometConfig renders config.toml; CometBFT's writer panics on error, so it is recovered here.
func writeCometConfig(home string, conf *cmtcfg.Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write %s: %v", CometConfigPath(home), r)
		}
	}()
	cmtcfg.WriteConfigFile(CometConfigPath(home), conf)
	return nil
}

// ensurePrivValidator loads the home's validator key, or creates one of keyType
// with a fresh sign state. An existing key of another type is an error rather than
// silently replaced: it is the validator's identity.
func ensurePrivValidator(conf *cmtcfg.Config, keyType string) (cmtcrypto.PubKey, error) {
	keyFile, stateFile := conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile()
	if _, err := os.Stat(keyFile); err == nil {
		if _, err := os.Stat(stateFile); errors.Is(err, fs.ErrNotExist) {
			if err := writeEmptySignState(stateFile); err != nil {
				return nil, err
			}
		}
		pv, err := loadPrivValidator(conf)
		if err != nil {
			return nil, err
		}
		if pv.Key.PubKey.Type() != keyType {
			return nil, fmt.Errorf("%s holds a %s key, not %s: remove it to generate a new one", keyFile, pv.Key.PubKey.Type(), keyType)
		}
		return pv.Key.PubKey, nil
	}
	var priv cmtcrypto.PrivKey
	switch keyType {
	case ConsensusKeyMlDsa65:
		k, err := mldsa65.GenPrivKey()
		if err != nil {
			return nil, err
		}
		priv = k
	default:
		priv = ed25519.GenPrivKey()
	}
	pv := privval.NewFilePV(priv, keyFile, stateFile)
	if err := savePV(pv); err != nil {
		return nil, err
	}
	return pv.Key.PubKey, nil
}

// savePV writes the key and state files; privval panics on I/O errors.
func savePV(pv *privval.FilePV) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("save validator key: %v", r)
		}
	}()
	pv.Save()
	return nil
}

func writeEmptySignState(path string) error {
	return os.WriteFile(path, []byte("{\n  \"height\": \"0\",\n  \"round\": 0,\n  \"step\": 0\n}"), 0o600)
}
