// Package constellation scaffolds, runs and watches corporate Layer-1 chains
// built from the SELF Chain framework: a spec file per chain (spec.go), the
// validator homes and a genesis every validator signed (scaffold.go,
// genesis_sig.go), a detached process supervisor (supervisor.go) and health:
// Collect asks the nodes (collect.go), judge gives the verdict (verdict.go),
// metrics.go serves it to Prometheus. cmd/constellation is its command line.
package constellation

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"go.yaml.in/yaml/v3"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/poai/analyzer"
)

// SpecFile is the spec's name inside a chain's folder.
const SpecFile = "constellation.yaml"

// Bounds of a spec.
const (
	MaxValidators    = 100
	MaxAccounts      = 1000
	MinBlockTime     = 100 * time.Millisecond
	MaxBlockTime     = time.Minute
	MaxDecimals      = 18
	DefaultBlockTime = time.Second
)

// PoAI modes.
const (
	// PoAIModeAI lets x/poai select validators by reputation once it lands.
	PoAIModeAI = "ai"
	// PoAIModeAuthority fixes the validator set to the genesis set: the company
	// runs its own nodes (with a configured model) and PoAI does not rotate them.
	PoAIModeAuthority = "authority"
)

// Spec is constellation.yaml: everything `new` and `apply` build a chain from.
type Spec struct {
	Name         string `yaml:"name" json:"name"`
	ChainID      string `yaml:"chain_id" json:"chain_id"`
	Validators   int    `yaml:"validators" json:"validators"`
	ConsensusKey string `yaml:"consensus_key" json:"consensus_key"`
	PoAIMode     string `yaml:"poai_mode" json:"poai_mode"`
	// PoAIModel names the AI model the chain's nodes run for PoAI (e.g. an
	// Ollama tag); recorded for x/poai, empty until one is chosen.
	PoAIModel string `yaml:"poai_model,omitempty" json:"poai_model,omitempty"`
	// PoAIAnalyzer is every node's app.toml [poai] analyzer: builtin (the
	// statistical model in the binary), llm (an OpenAI-compatible endpoint,
	// poai_llm_endpoint, running poai_model) or off (empty vote extensions).
	PoAIAnalyzer string `yaml:"poai_analyzer,omitempty" json:"poai_analyzer,omitempty"`
	// PoAILLMEndpoint is the chat-completions API base the nodes call when
	// poai_analyzer is llm, e.g. http://127.0.0.1:11434/v1 (Ollama).
	PoAILLMEndpoint string `yaml:"poai_llm_endpoint,omitempty" json:"poai_llm_endpoint,omitempty"`
	// PoAILLMAPIKeyEnv names the environment variable holding the endpoint's
	// bearer token (the key itself is never written to a file).
	PoAILLMAPIKeyEnv string `yaml:"poai_llm_api_key_env,omitempty" json:"poai_llm_api_key_env,omitempty"`
	// PoAILLMTimeout and PoAILLMMaxTxs are every node's [poai.llm] timeout and
	// max-txs (zero: the node's defaults). See docs/modules/poai-voteext.md for
	// what a model's speed needs.
	PoAILLMTimeout Duration   `yaml:"poai_llm_timeout,omitempty" json:"poai_llm_timeout,omitempty"`
	PoAILLMMaxTxs  int        `yaml:"poai_llm_max_txs,omitempty" json:"poai_llm_max_txs,omitempty"`
	BlockTime      Duration   `yaml:"block_time" json:"block_time"`
	BasePort       int        `yaml:"base_port" json:"base_port"`
	Bech32Prefix   string     `yaml:"bech32_prefix" json:"bech32_prefix"`
	Token          TokenSpec  `yaml:"token" json:"token"`
	Supervisor     Supervisor `yaml:"supervisor" json:"supervisor"`
}

// TokenSpec is the chain's own token. Amounts are in the base denom.
type TokenSpec struct {
	Denom       string    `yaml:"denom" json:"denom"`
	DisplayName string    `yaml:"display_name" json:"display_name"`
	Decimals    uint32    `yaml:"decimals" json:"decimals"`
	Supply      string    `yaml:"supply" json:"supply"`
	Accounts    []Account `yaml:"accounts" json:"accounts"`
}

// Account is a genesis account: a key name (created in the chain's client
// keyring) or a bech32 address with the chain's prefix, and its balance.
type Account struct {
	Name    string `yaml:"name,omitempty" json:"name,omitempty"`
	Address string `yaml:"address,omitempty" json:"address,omitempty"`
	Amount  string `yaml:"amount" json:"amount"`
}

// Supervisor tunes how `up` runs the nodes.
type Supervisor struct {
	RestartBackoff Duration `yaml:"restart_backoff" json:"restart_backoff"`
	MaxBackoff     Duration `yaml:"max_backoff" json:"max_backoff"`
	StopTimeout    Duration `yaml:"stop_timeout" json:"stop_timeout"`
	LogLevel       string   `yaml:"log_level" json:"log_level"`
}

// Duration is a time.Duration written as "300ms" in YAML and JSON.
type Duration struct{ time.Duration }

func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 500ms or 2s", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// TreasuryName is the key holding the supply not given to a listed account.
const TreasuryName = "treasury"

var (
	nameRe    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	chainIDRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}-[1-9][0-9]{0,8}$`)
	keyNameRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	displayRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,15}$`)
	envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	modelRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$`)
)

// Defaults fills what a user may leave out.
func (s *Spec) Defaults() {
	if s.ChainID == "" && s.Name != "" {
		s.ChainID = s.Name + "-1"
	}
	if s.ConsensusKey == "" {
		s.ConsensusKey = server.ConsensusKeyEd25519
	}
	if s.PoAIMode == "" {
		s.PoAIMode = PoAIModeAuthority
	}
	if s.PoAIAnalyzer == "" {
		s.PoAIAnalyzer = analyzer.ModeBuiltin
		if s.PoAILLMEndpoint != "" {
			s.PoAIAnalyzer = analyzer.ModeLLM
		}
	}
	if s.BlockTime.Duration == 0 {
		s.BlockTime.Duration = DefaultBlockTime
	}
	if s.Bech32Prefix == "" {
		s.Bech32Prefix = crypto.Bech32Prefix
	}
	if s.Token.Decimals == 0 && s.Token.DisplayName == "" {
		s.Token.Decimals = 6
	}
	if s.Token.DisplayName == "" && s.Token.Denom != "" {
		s.Token.DisplayName = strings.ToUpper(strings.TrimPrefix(s.Token.Denom, "u"))
	}
	if s.Supervisor.RestartBackoff.Duration == 0 {
		s.Supervisor.RestartBackoff.Duration = time.Second
	}
	if s.Supervisor.MaxBackoff.Duration == 0 {
		s.Supervisor.MaxBackoff.Duration = 30 * time.Second
	}
	if s.Supervisor.StopTimeout.Duration == 0 {
		s.Supervisor.StopTimeout.Duration = 15 * time.Second
	}
	if s.Supervisor.LogLevel == "" {
		s.Supervisor.LogLevel = "info"
	}
}

// Validate checks a spec; each error names the field and says what is wanted.
func (s *Spec) Validate() error {
	switch {
	case !nameRe.MatchString(s.Name):
		return fmt.Errorf("invalid chain name %q: want 1-31 lowercase letters, digits or '-', starting with a letter (e.g. acme)", s.Name)
	case !chainIDRe.MatchString(s.ChainID):
		return fmt.Errorf("invalid chain id %q: want <name>-<N> in lowercase, e.g. %s-1 (N is the revision, 1 or more)", s.ChainID, orDefault(s.Name, "acme"))
	case s.Validators < 1 || s.Validators > MaxValidators:
		return fmt.Errorf("invalid validator count %d: want 1 to %d", s.Validators, MaxValidators)
	case s.ConsensusKey != server.ConsensusKeyEd25519 && s.ConsensusKey != server.ConsensusKeyMlDsa65:
		return fmt.Errorf("invalid consensus_key %q: want %s or %s", s.ConsensusKey, server.ConsensusKeyEd25519, server.ConsensusKeyMlDsa65)
	case s.PoAIMode != PoAIModeAI && s.PoAIMode != PoAIModeAuthority:
		return fmt.Errorf("invalid poai_mode %q: want %s or %s", s.PoAIMode, PoAIModeAI, PoAIModeAuthority)
	case s.PoAIModel != "" && !modelRe.MatchString(s.PoAIModel):
		return fmt.Errorf("invalid poai_model %q: want up to 128 letters, digits or ._:/@+- (e.g. llama3.1:8b)", s.PoAIModel)
	case s.BlockTime.Duration < MinBlockTime || s.BlockTime.Duration > MaxBlockTime:
		return fmt.Errorf("invalid block_time %s: want %s to %s", s.BlockTime, MinBlockTime, MaxBlockTime)
	case !crypto.ValidBech32Prefix(s.Bech32Prefix):
		return fmt.Errorf("invalid bech32_prefix %q: want 1-32 lowercase letters and digits, starting with a letter", s.Bech32Prefix)
	}
	if err := s.validateAnalyzer(); err != nil {
		return err
	}
	if len(s.ChainID) > cmttypes.MaxChainIDLen {
		return fmt.Errorf("invalid chain id %q: at most %d characters", s.ChainID, cmttypes.MaxChainIDLen)
	}
	if s.BasePort != 0 {
		if _, err := LayoutFor(s.BasePort, s.Validators); err != nil {
			return err
		}
	}
	if err := s.Token.validate(s.Bech32Prefix, reservedSupply(s)); err != nil {
		return err
	}
	sv := s.Supervisor
	if sv.RestartBackoff.Duration <= 0 || sv.MaxBackoff.Duration < sv.RestartBackoff.Duration || sv.StopTimeout.Duration <= 0 {
		return errors.New("invalid supervisor: restart_backoff and stop_timeout must be positive and max_backoff at least restart_backoff")
	}
	return nil
}

// validateAnalyzer checks the AI model settings that go to every node's app.toml
// [poai], with the same rules a node applies at start (app.PoAIConfig.Validate),
// so a bad endpoint fails `new`, not `up`.
func (s *Spec) validateAnalyzer() error {
	switch s.PoAIAnalyzer {
	case analyzer.ModeBuiltin, analyzer.ModeOff:
		if s.PoAILLMEndpoint != "" || s.PoAILLMAPIKeyEnv != "" || s.PoAILLMTimeout.Duration != 0 || s.PoAILLMMaxTxs != 0 {
			return fmt.Errorf("poai_llm_endpoint, poai_llm_api_key_env, poai_llm_timeout and poai_llm_max_txs are only used with poai_analyzer: %s (poai_analyzer is %s)", analyzer.ModeLLM, s.PoAIAnalyzer)
		}
	case analyzer.ModeLLM:
		// A given endpoint is checked first: `--poai-llm-endpoint localhost:11434`
		// must be told its URL is bad, not that something is missing.
		if s.PoAILLMEndpoint != "" {
			u, err := url.Parse(s.PoAILLMEndpoint)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s.PoAILLMEndpoint) > 512 {
				return fmt.Errorf("invalid poai_llm_endpoint %q: want an http:// or https:// URL of at most 512 characters, e.g. http://127.0.0.1:11434/v1", s.PoAILLMEndpoint)
			}
		}
		switch {
		case s.PoAILLMEndpoint == "":
			return fmt.Errorf("poai_analyzer %s needs poai_llm_endpoint (e.g. http://127.0.0.1:11434/v1)", analyzer.ModeLLM)
		case s.PoAIModel == "":
			return fmt.Errorf("poai_analyzer %s needs poai_model, the model the endpoint serves (e.g. llama3.1:8b)", analyzer.ModeLLM)
		}
		if t := s.PoAILLMTimeout.Duration; t < 0 || t > time.Minute {
			return fmt.Errorf("invalid poai_llm_timeout %s: want at most 1m (0: the node's default, 2s)", t)
		}
		if s.PoAILLMMaxTxs < 0 || s.PoAILLMMaxTxs > 512 {
			return fmt.Errorf("invalid poai_llm_max_txs %d: want 1-512 txs per block (0: the node's default, 64)", s.PoAILLMMaxTxs)
		}
		if s.PoAILLMAPIKeyEnv != "" && !envNameRe.MatchString(s.PoAILLMAPIKeyEnv) {
			return fmt.Errorf("invalid poai_llm_api_key_env %q: want an environment variable name such as ACME_LLM_KEY", s.PoAILLMAPIKeyEnv)
		}
	default:
		return fmt.Errorf("invalid poai_analyzer %q: want %s, %s or %s", s.PoAIAnalyzer, analyzer.ModeBuiltin, analyzer.ModeLLM, analyzer.ModeOff)
	}
	return nil
}

func (t *TokenSpec) validate(prefix string, reserved uint64) error {
	if err := types.ValidateDenom(t.Denom); err != nil {
		return fmt.Errorf("invalid token denom %q: %v (e.g. uacme)", t.Denom, err)
	}
	if !displayRe.MatchString(t.DisplayName) {
		return fmt.Errorf("invalid token display_name %q: want 1-16 letters and digits, e.g. ACME", t.DisplayName)
	}
	if t.Decimals > MaxDecimals {
		return fmt.Errorf("invalid token decimals %d: at most %d", t.Decimals, MaxDecimals)
	}
	supply, ok := parseAmount(t.Supply)
	if !ok || supply.Sign() <= 0 {
		return fmt.Errorf("invalid token supply %q: want a positive whole number of %s", t.Supply, t.Denom)
	}
	if len(t.Accounts) > MaxAccounts {
		return fmt.Errorf("too many genesis accounts (%d): at most %d", len(t.Accounts), MaxAccounts)
	}
	sum := new(big.Int)
	seen := map[string]bool{}
	for i, a := range t.Accounts {
		id := a.Name
		switch {
		case a.Name != "" && a.Address != "":
			return fmt.Errorf("token.accounts[%d]: give a name or an address, not both", i)
		case a.Name != "":
			if !keyNameRe.MatchString(a.Name) {
				return fmt.Errorf("invalid account name %q: want 1-32 lowercase letters, digits, '_' or '-'", a.Name)
			}
			if reservedAccount(a.Name) {
				return fmt.Errorf("account name %q is reserved: constellation makes %s (the rest of the supply), %s (PoAI params admin) and nodeN-operator (validator operators) itself", a.Name, TreasuryName, AdminName)
			}
		case a.Address != "":
			if !strings.HasPrefix(a.Address, prefix+"1") {
				return fmt.Errorf("account address %s: this chain's addresses start with %s1", a.Address, prefix)
			}
			id = a.Address
		default:
			return fmt.Errorf("token.accounts[%d]: needs a name or an address", i)
		}
		if seen[id] {
			return fmt.Errorf("account %s is listed twice", id)
		}
		seen[id] = true
		amt, ok := parseAmount(a.Amount)
		if !ok || amt.Sign() <= 0 {
			return fmt.Errorf("invalid amount %q for account %s: want a positive whole number of %s", a.Amount, id, t.Denom)
		}
		sum.Add(sum, amt)
	}
	if sum.Cmp(supply) > 0 {
		return fmt.Errorf("the genesis accounts hold %s%s, more than the supply %s%s: raise --supply or lower the amounts", sum, t.Denom, supply, t.Denom)
	}
	if need := new(big.Int).Add(sum, new(big.Int).SetUint64(reserved)); need.Cmp(supply) > 0 {
		return fmt.Errorf("the supply %s%s does not cover the genesis accounts (%s%s) plus the validators' stake and operator fee floats (%d%s): raise --supply to at least %s or lower the amounts", supply, t.Denom, sum, t.Denom, reserved, t.Denom, need)
	}
	if supply.BitLen() > 255 {
		return fmt.Errorf("invalid token supply %s: too large", t.Supply)
	}
	return nil
}

func parseAmount(s string) (*big.Int, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return nil, false
	}
	return new(big.Int).SetString(s, 10)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Marshal renders the spec as YAML with a header comment.
func (s *Spec) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# Constellation chain spec. Edit and run `constellation apply " + s.Name + "` to rebuild the\n" +
		"# chain from it; once the chain has been started (`up`) the spec is read-only.\n" +
		"# Amounts are in the base denom. Ports: base_port is the chain's Prometheus\n" +
		"# endpoint; node N uses base_port+10*N (+0 p2p, +1 rpc, +2 metrics).\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// ParseSpec reads a spec strictly: unknown keys are errors (a typo must not be ignored).
func ParseSpec(bz []byte) (*Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(bz))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("malformed spec: %v", err)
	}
	s.Defaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return &s, nil
}

// LoadSpec reads and checks a constellation.yaml.
func LoadSpec(path string) (*Spec, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ParseSpec(bz)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
