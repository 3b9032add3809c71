package constellation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmttypes "github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai/analyzer"
	"github.com/selfchain/selfchain/x/upgrade"
)

// MinGasPrice is the per-gas fee floor every node of a new chain sets, in the chain's denom.
const MinGasPrice = "0.001"

// AccountKeyType is the key type of the genesis accounts `new` creates.
const AccountKeyType = crypto.DefaultKeyType

// Create builds a new chain from spec under home: every node home, the
// genesis, its signatures, the client keyring. It is built in a temporary
// folder and renamed into place, so a failure leaves nothing behind.
func Create(home string, spec *Spec) (*Chain, error) {
	spec.Defaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	dir := ChainDir(home, spec.Name)
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("chain %s already exists in %s: pick another name, or remove it with `constellation rm %s`", spec.Name, dir, spec.Name)
	}
	if spec.BasePort == 0 {
		base, err := NextBasePort(home, spec.Validators)
		if err != nil {
			return nil, err
		}
		spec.BasePort = base
	}
	layout, err := LayoutFor(spec.BasePort, spec.Validators)
	if err != nil {
		return nil, err
	}
	if err := CheckPortsFree(layout.Named()); err != nil {
		return nil, err
	}
	if err := checkPortsUnclaimed(home, spec.Name, layout); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(home, ".new-"+spec.Name+"-")
	if err != nil {
		return nil, err
	}
	_ = os.Chmod(tmp, 0o755) // MkdirTemp makes it 0700
	if err := build(tmp, spec, layout, ""); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	return &Chain{Dir: dir, Spec: spec, Layout: layout}, nil
}

// Apply rebuilds a chain from its (edited) constellation.yaml. Keys of nodes
// and accounts that still exist are kept. Only a chain that has never been
// started can be re-applied: after that its state lives in the nodes' data.
func Apply(home, name string) (*Chain, error) {
	dir := ChainDir(home, name)
	old := &Chain{Dir: dir}
	if _, err := os.Stat(filepath.Join(dir, SpecFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no chain %q under %s", name, home)
	}
	if old.Started() {
		return nil, fmt.Errorf("chain %s has been started: its spec is read-only now (state is in the nodes' data). Start over with `constellation rm %s` and `constellation new`", name, name)
	}
	spec, err := LoadSpec(filepath.Join(dir, SpecFile))
	if err != nil {
		return nil, err
	}
	if spec.Name != name {
		return nil, fmt.Errorf("%s: name is %q but the folder is %q: renaming a chain is not supported", filepath.Join(dir, SpecFile), spec.Name, name)
	}
	if spec.BasePort == 0 {
		if spec.BasePort, err = NextBasePort(home, spec.Validators); err != nil {
			return nil, err
		}
	}
	layout, err := LayoutFor(spec.BasePort, spec.Validators)
	if err != nil {
		return nil, err
	}
	if err := checkPortsUnclaimed(home, name, layout); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(home, ".apply-"+name+"-")
	if err != nil {
		return nil, err
	}
	_ = os.Chmod(tmp, 0o755)
	if err := build(tmp, spec, layout, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	// Swap: old aside, new in, old deleted; put the old back if the swap fails.
	aside := filepath.Join(home, ".old-"+name)
	_ = os.RemoveAll(aside)
	if err := os.Rename(dir, aside); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(aside, dir)
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	_ = os.RemoveAll(aside)
	return &Chain{Dir: dir, Spec: spec, Layout: layout}, nil
}

// NextBasePort is the first base port, from DefaultBaseRange in steps of 100,
// whose block clashes with no chain under home and whose ports are all free.
func NextBasePort(home string, validators int) (int, error) {
	chains, _ := List(home)
	for base := DefaultBaseRange; base+Span(validators) <= 65535; base += 100 {
		clash := false
		for _, c := range chains {
			if base < c.Layout.Base+Span(c.Spec.Validators) && c.Layout.Base < base+Span(validators) {
				clash = true
				break
			}
		}
		if clash {
			continue
		}
		l, _ := LayoutFor(base, validators)
		if CheckPortsFree(l.Named()) == nil {
			return base, nil
		}
	}
	return 0, errNoFreeBlock
}

// checkPortsUnclaimed refuses a port block that overlaps another chain's under home
// (both could not run at once).
func checkPortsUnclaimed(home, name string, l Layout) error {
	chains, _ := List(home)
	n := len(l.Nodes)
	for _, c := range chains {
		if c.Spec.Name == name {
			continue
		}
		if l.Base < c.Layout.Base+Span(c.Spec.Validators) && c.Layout.Base < l.Base+Span(n) {
			return fmt.Errorf("ports %d..%d overlap chain %s's (%d..%d): pick another --base-port, or leave it out to get a free block", l.Base, l.Base+Span(n)-1, c.Spec.Name, c.Layout.Base, c.Layout.Base+Span(c.Spec.Validators)-1)
		}
	}
	return nil
}

// build writes a whole chain folder into dir. prev, when set, is the chain
// folder being re-applied: node and account keys are carried over from it.
func build(dir string, spec *Spec, layout Layout, prev string) error {
	// Addresses in genesis are encoded and checked with the chain's prefix.
	oldPrefix := crypto.GetBech32Prefix()
	if err := crypto.SetBech32Prefix(spec.Bech32Prefix); err != nil {
		return err
	}
	defer func() { _ = crypto.SetBech32Prefix(oldPrefix) }()

	for _, sub := range []string{"nodes", "client", "logs", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	// run/lock serialises up and down; made now so neither has to create it.
	if err := os.WriteFile(filepath.Join(dir, "run", "lock"), nil, 0o644); err != nil {
		return err
	}
	gasPrice := MinGasPrice + spec.Token.Denom
	n := spec.Validators
	ids := make([]string, n)
	vals := make([]cmttypes.GenesisValidator, n)
	for i := 0; i < n; i++ {
		home := nodeHome(dir, i)
		if prev != "" {
			if err := carryKeys(nodeHome(prev, i), home, spec.ConsensusKey); err != nil {
				return err
			}
		}
		if err := server.InitHome(home, NodeName(i), spec.ChainID, spec.ConsensusKey); err != nil {
			return fmt.Errorf("%s: %w", NodeName(i), err)
		}
		id, err := server.NodeID(home)
		if err != nil {
			return err
		}
		pub, err := server.ShowValidator(home)
		if err != nil {
			return err
		}
		ids[i] = id
		vals[i] = cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: server.DefaultValidatorPower, Name: NodeName(i)}
	}
	for i := 0; i < n; i++ {
		home := nodeHome(dir, i)
		var peers []string
		for j := 0; j < n; j++ {
			if j != i {
				peers = append(peers, fmt.Sprintf("%s@127.0.0.1:%d", ids[j], layout.Nodes[j].P2P))
			}
		}
		if err := writeNodeConfig(home, spec, layout.Nodes[i], strings.Join(peers, ",")); err != nil {
			return err
		}
		ac := app.DefaultConfig()
		ac.MinGasPrices = gasPrice
		ac.Bech32Prefix = spec.Bech32Prefix
		ac.API.Address = fmt.Sprintf("tcp://127.0.0.1:%d", layout.Nodes[i].API)
		ac.PoAI.Analyzer = spec.PoAIAnalyzer
		if spec.PoAIAnalyzer == analyzer.ModeLLM {
			ac.PoAI.LLM.Endpoint = spec.PoAILLMEndpoint
			ac.PoAI.LLM.Model = spec.PoAIModel
			ac.PoAI.LLM.APIKeyEnv = spec.PoAILLMAPIKeyEnv
			if spec.PoAILLMTimeout.Duration > 0 {
				ac.PoAI.LLM.Timeout = spec.PoAILLMTimeout.Duration
			}
			if spec.PoAILLMMaxTxs > 0 {
				ac.PoAI.LLM.MaxTxs = spec.PoAILLMMaxTxs
			}
		}
		if err := ac.Validate(); err != nil {
			return fmt.Errorf("%s app.toml: %w", NodeName(i), err)
		}
		if err := app.WriteConfig(home, ac); err != nil {
			return err
		}
		if err := writeClientConfig(home, spec, layout.Nodes[i].RPC); err != nil {
			return err
		}
	}
	if err := writeClientConfig(filepath.Join(dir, "client"), spec, layout.Nodes[0].RPC); err != nil {
		return err
	}
	balances, addrs, err := genesisAccounts(dir, prev, spec)
	if err != nil {
		return err
	}
	operators := make([]string, n)
	proofs := make([][]byte, n)
	for i := range operators {
		operators[i] = addrs[OperatorName(i)]
		// Each node's consensus key proves it is registered for its operator on this chain.
		op, err := crypto.AddressFromBech32(operators[i])
		if err != nil {
			return fmt.Errorf("%s operator: %w", NodeName(i), err)
		}
		if proofs[i], err = server.ConsensusKeyProof(nodeHome(dir, i), spec.ChainID, op); err != nil {
			return fmt.Errorf("%s: %w", NodeName(i), err)
		}
	}
	gen, err := genesisDoc(spec, vals, balances, operators, proofs, addrs[AdminName])
	if err != nil {
		return err
	}
	genPath := filepath.Join(dir, "genesis.json")
	if err := gen.SaveAs(genPath); err != nil {
		return err
	}
	bz, err := os.ReadFile(genPath)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := os.WriteFile(server.GenesisPath(nodeHome(dir, i)), bz, 0o644); err != nil {
			return err
		}
	}
	homes := make([]string, n)
	for i := range homes {
		homes[i] = nodeHome(dir, i)
	}
	if err := SignGenesis(dir, homes); err != nil {
		return err
	}
	sbz, err := spec.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, SpecFile), sbz, 0o644)
}

// carryKeys copies a node's p2p and consensus keys (and sign state) from the
// previous build when they are of the spec's key type.
func carryKeys(from, to, keyType string) error {
	pub, err := server.ShowValidator(from)
	if err != nil || pub.Type() != keyType {
		return nil // nothing to keep, or the key type changed: new keys
	}
	for _, rel := range []string{"config/node_key.json", "config/priv_validator_key.json", "data/priv_validator_state.json"} {
		bz, err := os.ReadFile(filepath.Join(from, rel))
		if err != nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(to, rel)), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, rel), bz, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// writeNodeConfig sets a node's config.toml: ports on loopback, the other
// validators as persistent peers, the block time, Prometheus on.
func writeNodeConfig(home string, spec *Spec, ports NodePorts, peers string) (err error) {
	conf, err := server.LoadCometConfig(home, nil)
	if err != nil {
		return err
	}
	conf.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", ports.RPC)
	conf.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", ports.P2P)
	conf.P2P.ExternalAddress = fmt.Sprintf("127.0.0.1:%d", ports.P2P)
	conf.P2P.PersistentPeers = peers
	conf.P2P.PexReactor = false
	conf.P2P.AddrBookStrict = false
	conf.P2P.AllowDuplicateIP = true
	// CometBFT v0.40 has no next-block-delay consensus parameter: the interval
	// between blocks is the local timeout_commit (see docs/CONSTELLATION.md).
	conf.Consensus.TimeoutCommit = spec.BlockTime.Duration
	conf.Instrumentation.Prometheus = true
	conf.Instrumentation.PrometheusListenAddr = fmt.Sprintf("127.0.0.1:%d", ports.Metrics)
	conf.LogLevel = spec.Supervisor.LogLevel
	if err := conf.ValidateBasic(); err != nil {
		return fmt.Errorf("config.toml: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write %s: %v", server.CometConfigPath(home), r)
		}
	}()
	cmtcfg.WriteConfigFile(server.CometConfigPath(home), conf)
	return nil
}

func writeClientConfig(home string, spec *Spec, rpc int) error {
	c := client.DefaultConfig()
	c.ChainID = spec.ChainID
	c.Node = fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
	c.KeyringBackend = keyring.BackendTest
	c.GasPrices = MinGasPrice + spec.Token.Denom
	c.Bech32Prefix = spec.Bech32Prefix
	return client.SaveConfig(home, c)
}

// genesisAccount is one funded account; Mnemonic is set for keys made now.
type genesisAccount struct {
	Name     string `json:"name,omitempty"`
	Address  string `json:"address"`
	Amount   string `json:"amount"`
	Mnemonic string `json:"mnemonic,omitempty"`
}

// genesisAccounts resolves the spec's accounts to addresses, creating a key in
// the chain's client keyring (test backend: a development chain) for each
// named one, plus the operator of each validator and, in authority mode, the
// PoAI admin (each with FeeFloat), x/poai's bonded pool holding the
// validators' stake, and "treasury" for the rest of the supply. New mnemonics
// are written to client/accounts.json (mode 0600). It returns the bank
// balances and the address of every named key.
func genesisAccounts(dir, prev string, spec *Spec) ([]bank.Balance, map[string]string, error) {
	clientHome := filepath.Join(dir, "client")
	if prev != "" {
		if err := copyDir(filepath.Join(prev, "client", "keyring-"+keyring.BackendTest), filepath.Join(clientHome, "keyring-"+keyring.BackendTest)); err != nil {
			return nil, nil, err
		}
	}
	kr, err := keyring.New(keyring.BackendTest, clientHome, nil)
	if err != nil {
		return nil, nil, err
	}
	supply, _ := parseAmount(spec.Token.Supply)
	rest := new(big.Int).Set(supply)
	accounts := append(append([]Account(nil), spec.Token.Accounts...), systemAccounts(spec)...)
	for _, a := range accounts {
		amt, _ := parseAmount(a.Amount)
		rest.Sub(rest, amt)
	}
	stake := new(big.Int).SetUint64(uint64(spec.Validators) * ValidatorStake)
	rest.Sub(rest, stake)
	if rest.Sign() > 0 {
		accounts = append(accounts, Account{Name: TreasuryName, Amount: rest.String()})
	}
	var out []genesisAccount
	stakeAmt, _ := types.ParseInt(stake.String())
	balances := []bank.Balance{{Address: bondedPool(), Coins: types.Coins{{Denom: spec.Token.Denom, Amount: stakeAmt}}}}
	addrs := map[string]string{}
	for _, a := range accounts {
		ga := genesisAccount{Name: a.Name, Amount: a.Amount}
		if a.Address != "" {
			addr, err := crypto.AddressFromBech32(a.Address)
			if err != nil {
				return nil, nil, fmt.Errorf("account %s: %w", a.Address, err)
			}
			ga.Address = addr.String()
		} else if rec, err := kr.Get(a.Name); err == nil {
			ga.Address = rec.Address.String()
		} else {
			rec, mnemonic, err := kr.NewMnemonic(a.Name, AccountKeyType)
			if err != nil {
				return nil, nil, fmt.Errorf("account %s: %w", a.Name, err)
			}
			ga.Address, ga.Mnemonic = rec.Address.String(), mnemonic
		}
		amt, _ := types.ParseInt(a.Amount)
		balances = append(balances, bank.Balance{Address: ga.Address, Coins: types.Coins{{Denom: spec.Token.Denom, Amount: amt}}})
		out = append(out, ga)
		if a.Name != "" {
			addrs[a.Name] = ga.Address
		}
	}
	sort.SliceStable(balances, func(i, j int) bool { return balances[i].Address < balances[j].Address })
	bz, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(clientHome, "accounts.json"), bz, 0o600); err != nil {
		return nil, nil, err
	}
	return balances, addrs, nil
}

// genesisDoc is the chain's genesis: all validators (proofs[i]: validator i's
// proof of possession of its consensus key for operators[i]), the chain's token
// as the only denomination (metadata, balances, stated supply).
func genesisDoc(spec *Spec, vals []cmttypes.GenesisValidator, balances []bank.Balance, operators []string, proofs [][]byte, admin string) (*cmttypes.GenesisDoc, error) {
	state := app.DefaultGenesisAppState()
	bs := bank.DefaultGenesis()
	bs.DenomMetadata = []bank.Metadata{{
		Base: spec.Token.Denom, Display: spec.Token.DisplayName, Exponent: spec.Token.Decimals,
		Description: "The native token of " + spec.ChainID + ".",
	}}
	bs.Balances = balances
	supply, _ := types.ParseInt(spec.Token.Supply)
	bs.Supply = types.Coins{{Denom: spec.Token.Denom, Amount: supply}}
	raw, err := runtime.MarshalGenesis(&bs)
	if err != nil {
		return nil, err
	}
	state[bank.ModuleName] = raw
	if err := applyPoAIGenesis(state, spec, vals, operators, proofs, admin); err != nil {
		return nil, err
	}
	if state[upgrade.ModuleName], err = upgradeGenesis(operators, admin); err != nil {
		return nil, err
	}
	appState, err := json.Marshal(state)
	if err != nil {
		return nil, err
	}
	gen := &cmttypes.GenesisDoc{
		GenesisTime:     cmttime.Now(),
		ChainID:         spec.ChainID,
		InitialHeight:   1,
		ConsensusParams: app.DefaultConsensusParams(),
		Validators:      vals,
		AppState:        appState,
	}
	if err := server.ValidateGenesis(gen); err != nil {
		return nil, err
	}
	return gen, nil
}

func copyDir(from, to string) error {
	entries, err := os.ReadDir(from)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		bz, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), bz, 0o600); err != nil {
			return err
		}
	}
	return nil
}
