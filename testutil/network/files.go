package network

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/poai"
)

// Defaults of Config.
const (
	DefaultNumAccounts    = 4
	DefaultAccountBalance = 1_000_000_000_000 // uself: 1,000,000 SELF each
	DefaultBlockTime      = 250 * time.Millisecond
	DefaultLogLevel       = "state:info,*:error"
	// operatorIndexBase keeps the operator accounts' derivation indexes (see
	// ValidatorInfo.Operator) clear of the small indexes tests use for their own.
	operatorIndexBase = 1_000_000
)

// DefaultKeyTypes is the validator set Config gets when it names none: two of
// each consensus key type, so any 2/3 commit holds both kinds of signature.
var DefaultKeyTypes = []string{server.ConsensusKeyEd25519, server.ConsensusKeyMlDsa65, server.ConsensusKeyEd25519, server.ConsensusKeyMlDsa65}

// Config describes a network. The zero value is a valid 4-validator network.
type Config struct {
	// ChainID defaults to testutil.ChainID, the chain id testutil.SignTx signs for.
	ChainID string
	// Validators, one entry per node. Default: DefaultKeyTypes with power 10 each.
	Validators []ValidatorConfig
	// Accounts funded in genesis (and registered in auth, numbered in order), whose
	// keys the test holds. Default: testutil.NewAccount(0..DefaultNumAccounts-1).
	// Their Num is set here; Seq stays as given.
	Accounts []*testutil.Account
	// AccountBalance is each account's (and each operator's) genesis balance in uself.
	AccountBalance uint64
	// ExtraBalances funds addresses whose keys live elsewhere (a keyring), through
	// server.AddGenesisAccount as `selfchaind genesis add-account` does.
	ExtraBalances []Balance
	// BlockTime is consensus.timeout_commit: the pause after each block. Default 250ms.
	BlockTime time.Duration
	// LogLevel is config.toml's log_level. Default DefaultLogLevel: errors, and one
	// line per executed block (height, app hash), so a log tail shows the last heights.
	LogLevel string
	// ModifyGenesis edits app_state (module name → JSON) after accounts are funded;
	// vals are the validators (consensus keys, operators) for modules that list them.
	ModifyGenesis func(appState map[string]json.RawMessage, vals []ValidatorInfo) error
	// ModifyGenesisDoc edits CometBFT's part of genesis (consensus params, validators)
	// last, before it is validated and written.
	ModifyGenesisDoc func(gen *cmttypes.GenesisDoc) error
}

// ValidatorConfig is one validator node.
type ValidatorConfig struct {
	// KeyType is the consensus key type: server.ConsensusKeyEd25519 (default) or
	// server.ConsensusKeyMlDsa65.
	KeyType string
	// Power is its genesis voting power (default server.DefaultValidatorPower).
	Power int64
	// ModifyAppConfig edits this node's app.toml settings before they are written
	// (e.g. a dishonest or disabled analyzer on one validator). The written file is
	// read back: a setting app.toml's template does not render is an error.
	ModifyAppConfig func(c *app.Config)
	// ModifyCometConfig edits this node's config.toml after the network's own
	// settings (ports, peers, timeouts) are applied.
	ModifyCometConfig func(c *cmtcfg.Config)
}

// Balance is a genesis balance for an address given as bech32.
type Balance struct {
	Address string
	Coins   types.Coins
}

// ValidatorInfo is what genesis knows of a validator.
type ValidatorInfo struct {
	Index      int
	Moniker    string
	KeyType    string
	ConsPubKey cmtcrypto.PubKey
	Power      int64
	// Operator is a funded ed25519 account derived as
	// testutil.NewAccount(1_000_000+Index), with its account number set: the
	// account a validator module can name as the operator.
	Operator *testutil.Account
}

// Ports are a node's loopback listen ports. API 0: the tx API (app.toml [api]) is off.
type Ports struct {
	P2P, RPC, API int
}

// Files is what InitFiles wrote.
type Files struct {
	Dir        string
	ChainID    string
	Homes      []string
	NodeIDs    []string
	Ports      []Ports
	Validators []ValidatorInfo
	Accounts   []*testutil.Account
	Genesis    *cmttypes.GenesisDoc
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.ChainID == "" {
		c.ChainID = testutil.ChainID
	}
	if len(c.Validators) == 0 {
		for _, kt := range DefaultKeyTypes {
			c.Validators = append(c.Validators, ValidatorConfig{KeyType: kt})
		}
	} else {
		c.Validators = append([]ValidatorConfig(nil), c.Validators...)
	}
	for i := range c.Validators {
		if c.Validators[i].KeyType == "" {
			c.Validators[i].KeyType = server.ConsensusKeyEd25519
		}
		if c.Validators[i].Power == 0 {
			c.Validators[i].Power = server.DefaultValidatorPower
		}
	}
	if c.Accounts == nil {
		for i := 0; i < DefaultNumAccounts; i++ {
			c.Accounts = append(c.Accounts, testutil.NewAccount(i))
		}
	}
	if c.AccountBalance == 0 {
		c.AccountBalance = DefaultAccountBalance
	}
	if c.BlockTime == 0 {
		c.BlockTime = DefaultBlockTime
	}
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	return c
}

// Moniker is the name of validator i, also its home's folder name under the network dir.
func Moniker(i int) string { return fmt.Sprintf("node%d", i) }

// InitFiles writes one home per validator under dir (dir/node0, dir/node1, ...)
// the way `selfchaind init` and `selfchaind genesis` do, through the server
// package: keys of each validator's consensus key type, config.toml listening on
// 127.0.0.1 at ports[i] with every other node as a persistent peer and short
// timeouts, app.toml, client.toml (chain id, test keyring, the node's own RPC),
// and one genesis.json, the same in every home, holding all validators and the
// funded accounts. `make localnet` and New both use it.
func InitFiles(dir string, cfg Config, ports []Ports) (*Files, error) {
	cfg = cfg.withDefaults()
	n := len(cfg.Validators)
	if len(ports) != n {
		return nil, fmt.Errorf("%d validators but %d port pairs", n, len(ports))
	}
	f := &Files{Dir: dir, ChainID: cfg.ChainID, Ports: ports, Accounts: cfg.Accounts}
	for i, vc := range cfg.Validators {
		home := filepath.Join(dir, Moniker(i))
		if err := server.InitHome(home, Moniker(i), cfg.ChainID, vc.KeyType); err != nil {
			return nil, fmt.Errorf("%s: %w", Moniker(i), err)
		}
		id, err := server.NodeID(home)
		if err != nil {
			return nil, err
		}
		pub, err := server.ShowValidator(home)
		if err != nil {
			return nil, err
		}
		f.Homes = append(f.Homes, home)
		f.NodeIDs = append(f.NodeIDs, id)
		f.Validators = append(f.Validators, ValidatorInfo{
			Index: i, Moniker: Moniker(i), KeyType: vc.KeyType, ConsPubKey: pub, Power: vc.Power,
			Operator: testutil.NewAccount(operatorIndexBase + i),
		})
	}

	for i, vc := range cfg.Validators {
		if err := writeCometConfig(f, i, cfg, vc); err != nil {
			return nil, fmt.Errorf("%s: %w", Moniker(i), err)
		}
		ac := app.DefaultConfig()
		// Tests sign without fees (testutil.SignTx); ModifyAppConfig can set a floor.
		ac.MinGasPrices = ""
		if ports[i].API != 0 {
			ac.API.Address = fmt.Sprintf("tcp://127.0.0.1:%d", ports[i].API)
		}
		if vc.ModifyAppConfig != nil {
			vc.ModifyAppConfig(&ac)
		}
		if err := ac.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", Moniker(i), err)
		}
		if err := app.WriteConfig(f.Homes[i], ac); err != nil {
			return nil, err
		}
		// app.toml is rendered from a template: a setting the template lacks would be
		// dropped silently, and the node would run without what the test asked for.
		if back, err := app.LoadConfig(f.Homes[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", Moniker(i), err)
		} else if !reflect.DeepEqual(back, ac) {
			return nil, fmt.Errorf("%s: app.toml does not keep ModifyAppConfig's settings (is a field missing from app's config template?): wrote %+v, read back %+v", Moniker(i), ac, back)
		}
		cc, err := client.LoadConfig(f.Homes[i])
		if err != nil {
			return nil, err
		}
		cc.ChainID, cc.KeyringBackend, cc.Node = cfg.ChainID, "test", rpcAddr(ports[i].RPC)
		if err := client.SaveConfig(f.Homes[i], cc); err != nil {
			return nil, err
		}
	}

	gen, err := buildGenesis(f, cfg)
	if err != nil {
		return nil, err
	}
	genPath := server.GenesisPath(f.Homes[0])
	if err := server.ValidateGenesis(gen); err != nil {
		return nil, err
	}
	if err := gen.SaveAs(genPath); err != nil {
		return nil, err
	}
	for _, b := range cfg.ExtraBalances {
		addr, err := crypto.AddressFromBech32(b.Address)
		if err != nil {
			return nil, fmt.Errorf("extra balance %q: %w", b.Address, err)
		}
		if err := server.AddGenesisAccount(genPath, addr, b.Coins, true); err != nil {
			return nil, err
		}
	}
	bz, err := os.ReadFile(genPath)
	if err != nil {
		return nil, err
	}
	for _, home := range f.Homes[1:] {
		if err := os.WriteFile(server.GenesisPath(home), bz, 0o644); err != nil {
			return nil, err
		}
	}
	if f.Genesis, err = server.LoadGenesis(genPath); err != nil {
		return nil, err
	}
	return f, nil
}

// writeCometConfig sets node i's listen addresses, peers and timeouts in its config.toml.
func writeCometConfig(f *Files, i int, cfg Config, vc ValidatorConfig) (err error) {
	home := f.Homes[i]
	conf, err := server.LoadCometConfig(home, nil)
	if err != nil {
		return err
	}
	conf.LogLevel = cfg.LogLevel
	conf.RPC.ListenAddress = rpcAddr(f.Ports[i].RPC)
	conf.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", f.Ports[i].P2P)
	var peers []string
	for j, id := range f.NodeIDs {
		if j != i {
			peers = append(peers, fmt.Sprintf("%s@127.0.0.1:%d", id, f.Ports[j].P2P))
		}
	}
	conf.P2P.PersistentPeers = strings.Join(peers, ",")
	// A loopback network: every peer shares 127.0.0.1, none is routable, and the
	// peer list is complete, so no peer exchange.
	conf.P2P.AddrBookStrict = false
	conf.P2P.AllowDuplicateIP = true
	conf.P2P.PexReactor = false
	// A restarted node is redialled within a second instead of CometBFT's
	// exponential backoff, so catch-up tests do not wait on it.
	conf.P2P.PersistentPeersMaxDialPeriod = time.Second
	conf.Consensus.TimeoutCommit = cfg.BlockTime
	// A stopped proposer costs one timeout_propose per height it would lead; keep
	// it short but long enough for a loaded 2-core machine to build a block.
	conf.Consensus.TimeoutPropose = time.Second
	conf.Consensus.TimeoutProposeDelta = 200 * time.Millisecond
	conf.Consensus.TimeoutPrevote = 500 * time.Millisecond
	conf.Consensus.TimeoutPrevoteDelta = 200 * time.Millisecond
	conf.Consensus.TimeoutPrecommit = 500 * time.Millisecond
	conf.Consensus.TimeoutPrecommitDelta = 200 * time.Millisecond
	conf.Consensus.PeerGossipSleepDuration = 20 * time.Millisecond
	// Ports are per network; Prometheus would need one more each, and nobody scrapes a test.
	conf.Instrumentation.Prometheus = false
	if vc.ModifyCometConfig != nil {
		vc.ModifyCometConfig(conf)
	}
	if err := conf.ValidateBasic(); err != nil {
		return err
	}
	// CometBFT's writer panics on error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write %s: %v", server.CometConfigPath(home), r)
		}
	}()
	cmtcfg.WriteConfigFile(server.CometConfigPath(home), conf)
	return nil
}

// buildGenesis takes node0's genesis (chain id, consensus params, time) and
// puts every validator and the funded accounts in it.
func buildGenesis(f *Files, cfg Config) (*cmttypes.GenesisDoc, error) {
	gen, err := server.LoadGenesis(server.GenesisPath(f.Homes[0]))
	if err != nil {
		return nil, err
	}
	gen.Validators = nil
	for _, v := range f.Validators {
		gen.Validators = append(gen.Validators, cmttypes.GenesisValidator{
			Address: v.ConsPubKey.Address(), PubKey: v.ConsPubKey, Power: v.Power, Name: v.Moniker,
		})
	}
	funded := append([]*testutil.Account(nil), cfg.Accounts...)
	for _, v := range f.Validators {
		funded = append(funded, v.Operator)
	}
	seen := map[string]bool{}
	for _, a := range funded {
		if seen[a.Addr.String()] {
			return nil, fmt.Errorf("account %s is listed twice", a.Addr)
		}
		seen[a.Addr.String()] = true
	}
	var appState map[string]json.RawMessage
	if err := json.Unmarshal(testutil.GenesisAppState(funded, cfg.AccountBalance), &appState); err != nil {
		return nil, err
	}
	if err := addPoAIValidators(appState, f); err != nil {
		return nil, err
	}
	if cfg.ModifyGenesis != nil {
		if err := cfg.ModifyGenesis(appState, f.Validators); err != nil {
			return nil, fmt.Errorf("ModifyGenesis: %w", err)
		}
	}
	if gen.AppState, err = json.Marshal(appState); err != nil {
		return nil, err
	}
	if cfg.ModifyGenesisDoc != nil {
		if err := cfg.ModifyGenesisDoc(gen); err != nil {
			return nil, fmt.Errorf("ModifyGenesisDoc: %w", err)
		}
	}
	return gen, nil
}

func rpcAddr(port int) string { return fmt.Sprintf("tcp://127.0.0.1:%d", port) }

// VoteExtensionsFrom is a ModifyGenesisDoc hook that turns vote extensions on
// from height h (consensus_params.abci.vote_extensions_enable_height).
func VoteExtensionsFrom(h int64) func(*cmttypes.GenesisDoc) error {
	return func(gen *cmttypes.GenesisDoc) error {
		gen.ConsensusParams.ABCI.VoteExtensionsEnableHeight = h
		return nil
	}
}

// addPoAIValidators lists every validator in app_state.poai.validators (consensus
// key, stake = power × poai.PowerReduction, operator = its funded Operator account,
// the proof of possession its home's consensus key signs for that operator),
// so PoAI's InitChain answer is the set CometBFT's genesis names and each
// validator's operator can sign its PoAI messages (unjail, bond, ...).
// ModifyGenesis runs after it and may change or drop them (a changed operator
// needs a new proof: KeyProof).
func addPoAIValidators(appState map[string]json.RawMessage, f *Files) error {
	gs := poai.DefaultGenesis()
	if raw, ok := appState[poai.ModuleName]; ok && len(raw) > 0 && string(raw) != "null" {
		if err := runtime.UnmarshalGenesis(raw, &gs); err != nil {
			return fmt.Errorf("genesis app_state.%s: %w", poai.ModuleName, err)
		}
	}
	gs.Validators = nil
	for _, v := range f.Validators {
		proof, err := f.KeyProof(v.Index, v.Operator.Addr)
		if err != nil {
			return err
		}
		gs.Validators = append(gs.Validators, poai.Validator{
			OperatorAddress:   v.Operator.Addr.String(),
			ConsensusKey:      poai.ConsensusKeyFromPubKey(v.ConsPubKey),
			ConsensusAddress:  v.ConsPubKey.Address(),
			SelfStake:         uint64(v.Power) * poai.PowerReduction,
			ModelName:         "builtin",
			Moniker:           v.Moniker,
			ConsensusKeyProof: proof,
		})
	}
	raw, err := runtime.MarshalGenesis(&gs)
	if err != nil {
		return err
	}
	appState[poai.ModuleName] = raw
	return nil
}

// KeyProof is validator i's proof of possession of its consensus key for
// operator on the network's chain id, signed with its home's
// priv_validator_key.json (what genesis validators and MsgCreateValidator carry).
func (f *Files) KeyProof(i int, operator crypto.Address) ([]byte, error) {
	return server.ConsensusKeyProof(f.Homes[i], f.ChainID, operator)
}

// EditPoAIParams is a ModifyGenesis helper: it applies f to app_state.poai.params
// (e.g. short epochs and downtime windows for a test).
func EditPoAIParams(appState map[string]json.RawMessage, f func(p *poai.Params)) error {
	gs := poai.DefaultGenesis()
	if raw, ok := appState[poai.ModuleName]; ok && len(raw) > 0 && string(raw) != "null" {
		if err := runtime.UnmarshalGenesis(raw, &gs); err != nil {
			return fmt.Errorf("genesis app_state.%s: %w", poai.ModuleName, err)
		}
	}
	f(&gs.Params)
	raw, err := runtime.MarshalGenesis(&gs)
	if err != nil {
		return err
	}
	appState[poai.ModuleName] = raw
	return nil
}
