package constellation

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/poai/analyzer"
)

// checkPoAIGenesis: app_state.poai names every genesis validator with its
// consensus key, ValidatorStake in the chain's denom and an operator whose key
// is in the chain's client keyring; params bond the chain's denom; the bonded
// pool holds the stake out of the stated supply (bank's genesis sums to it);
// and the whole app_state passes the app's genesis validation.
func checkPoAIGenesis(t *testing.T, c *Chain, gen *cmttypes.GenesisDoc, state map[string]json.RawMessage, model string) {
	t.Helper()
	var ps poai.GenesisState
	require.NoError(t, runtime.UnmarshalGenesis(state[poai.ModuleName], &ps))
	spec := c.Spec
	require.Equal(t, spec.Token.Denom, ps.Params.BondDenom)

	old := crypto.GetBech32Prefix()
	require.NoError(t, crypto.SetBech32Prefix(spec.Bech32Prefix))
	defer func() { _ = crypto.SetBech32Prefix(old) }()
	require.NoError(t, app.ValidateGenesisAppState(gen.ChainID, gen.AppState))
	require.NoError(t, ps.Validate())
	kr, err := keyring.New(keyring.BackendTest, c.ClientHome(), nil)
	require.NoError(t, err)

	require.Len(t, ps.Validators, len(gen.Validators))
	for i, v := range ps.Validators {
		gv := gen.Validators[i]
		require.Equal(t, []byte(gv.PubKey.Address()), v.ConsensusAddress)
		require.Equal(t, gv.PubKey.Type(), v.ConsensusKey.Type)
		require.Equal(t, []byte(gv.PubKey.Bytes()), v.ConsensusKey.Key)
		require.Equal(t, ValidatorStake, v.SelfStake)
		require.Equal(t, gv.Power, int64(v.SelfStake/poai.PowerReduction), "x/poai's power must equal genesis.json's")
		require.Equal(t, model, v.ModelName)
		require.Equal(t, NodeName(i), v.Moniker)
		rec, err := kr.Get(OperatorName(i))
		require.NoError(t, err, "operator key of %s", NodeName(i))
		require.Equal(t, rec.Address.String(), v.OperatorAddress)
	}
	switch spec.PoAIMode {
	case PoAIModeAuthority:
		require.Equal(t, uint32(spec.Validators), ps.Params.MaxValidators)
		rec, err := kr.Get(AdminName)
		require.NoError(t, err)
		require.Equal(t, rec.Address.String(), ps.Params.Authority)
		// The company fixes the set: only the genesis operators may create a validator.
		var ops []string
		for _, v := range ps.Validators {
			ops = append(ops, v.OperatorAddress)
		}
		require.Equal(t, ops, ps.Params.AllowedOperators)
	case PoAIModeAI:
		want := poai.DefaultParams() // with the chain's prefix set, as build does
		want.BondDenom = spec.Token.Denom
		require.Empty(t, ps.Params.AllowedOperators, "ai mode: open admission")
		ps.Params.AllowedOperators = nil // JSON gives [] for the default nil
		require.Equal(t, want, ps.Params)
		_, err := kr.Get(AdminName)
		require.Error(t, err, "no admin key in ai mode")
	}

	var bs bank.GenesisState
	require.NoError(t, runtime.UnmarshalGenesis(state[bank.ModuleName], &bs))
	pool := poai.BondedPool.String()
	found := false
	for _, b := range bs.Balances {
		if b.Address == pool {
			found = true
			require.Equal(t, spec.Token.Denom, b.Coins[0].Denom)
			require.Equal(t, uint64(spec.Validators)*ValidatorStake, b.Coins[0].Amount.Uint64())
		}
	}
	require.True(t, found, "the bonded pool holds the stake")
	require.Equal(t, spec.Token.Supply, bs.Supply.AmountOf(spec.Token.Denom).String())
}

// In ai mode the params are x/poai's defaults with the chain's denom, and no
// admin key is made; the model recorded is the analyzer's name.
func TestCreateAIModeGenesis(t *testing.T) {
	home := t.TempDir()
	spec := testSpec("beta", 2)
	spec.PoAIMode = PoAIModeAI
	c, err := Create(home, spec)
	require.NoError(t, err)
	gen, err := server.LoadGenesis(filepath.Join(c.Dir, "genesis.json"))
	require.NoError(t, err)
	var state map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(gen.AppState, &state))
	checkPoAIGenesis(t, c, gen, state, analyzer.ModeBuiltin)
	for i := 0; i < 2; i++ {
		ac, err := app.LoadConfig(c.NodeHome(i))
		require.NoError(t, err)
		require.Equal(t, analyzer.ModeBuiltin, ac.PoAI.Analyzer)
	}
}

// The spec's AI model settings reach every node's app.toml [poai].
func TestCreateLLMAnalyzerConfig(t *testing.T) {
	home := t.TempDir()
	spec := testSpec("gamma", 2)
	spec.PoAIAnalyzer = analyzer.ModeLLM
	spec.PoAILLMEndpoint = "http://127.0.0.1:11434/v1"
	spec.PoAIModel = "llama3.1:8b"
	spec.PoAILLMAPIKeyEnv = "GAMMA_LLM_KEY"
	spec.PoAILLMTimeout.Duration = 8 * time.Second
	spec.PoAILLMMaxTxs = 16
	c, err := Create(home, spec)
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		ac, err := app.LoadConfig(c.NodeHome(i))
		require.NoError(t, err)
		require.Equal(t, analyzer.ModeLLM, ac.PoAI.Analyzer)
		require.Equal(t, "http://127.0.0.1:11434/v1", ac.PoAI.LLM.Endpoint)
		require.Equal(t, "llama3.1:8b", ac.PoAI.LLM.Model)
		require.Equal(t, "GAMMA_LLM_KEY", ac.PoAI.LLM.APIKeyEnv)
		require.Equal(t, 8*time.Second, ac.PoAI.LLM.Timeout)
		require.Equal(t, 16, ac.PoAI.LLM.MaxTxs)
		require.Equal(t, analyzer.DefaultLLMConfig().PromptTxs, ac.PoAI.LLM.PromptTxs)
	}
	// The spec round-trips with the settings.
	reopened, err := Open(home, "gamma")
	require.NoError(t, err)
	require.Equal(t, spec.PoAILLMEndpoint, reopened.Spec.PoAILLMEndpoint)
	require.Equal(t, analyzer.ModeLLM, reopened.Spec.PoAIAnalyzer)
	require.Equal(t, 8*time.Second, reopened.Spec.PoAILLMTimeout.Duration)
	require.Equal(t, 16, reopened.Spec.PoAILLMMaxTxs)
}

// Bad AI model settings are refused with an error naming the field.
func TestSpecAnalyzerValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		mut  func(*Spec)
		want string
	}{
		"unknown analyzer":     {func(s *Spec) { s.PoAIAnalyzer = "gpt" }, "invalid poai_analyzer"},
		"llm without endpoint": {func(s *Spec) { s.PoAIAnalyzer = "llm"; s.PoAIModel = "m" }, "needs poai_llm_endpoint"},
		"llm without model":    {func(s *Spec) { s.PoAILLMEndpoint = "http://127.0.0.1:1/v1" }, "needs poai_model"},
		// The issue-18 case: a bad URL and no model names the URL, not "missing".
		"bad URL, no model":     {func(s *Spec) { s.PoAILLMEndpoint = "localhost:11434" }, `invalid poai_llm_endpoint "localhost:11434"`},
		"endpoint not a URL":    {func(s *Spec) { s.PoAILLMEndpoint = "ftp://x"; s.PoAIModel = "m" }, "invalid poai_llm_endpoint"},
		"endpoint with builtin": {func(s *Spec) { s.PoAIAnalyzer = "builtin"; s.PoAILLMEndpoint = "http://x/v1" }, "only used with poai_analyzer: llm"},
		"bad key env":           {func(s *Spec) { s.PoAILLMEndpoint = "http://x/v1"; s.PoAIModel = "m"; s.PoAILLMAPIKeyEnv = "A B" }, "invalid poai_llm_api_key_env"},
		"timeout with builtin":  {func(s *Spec) { s.PoAIAnalyzer = "builtin"; s.PoAILLMTimeout.Duration = time.Second }, "only used with poai_analyzer: llm"},
		"timeout too long": {func(s *Spec) {
			s.PoAILLMEndpoint = "http://x/v1"
			s.PoAIModel = "m"
			s.PoAILLMTimeout.Duration = time.Hour
		}, "invalid poai_llm_timeout 1h0m0s"},
		"max txs too many":   {func(s *Spec) { s.PoAILLMEndpoint = "http://x/v1"; s.PoAIModel = "m"; s.PoAILLMMaxTxs = 10_000 }, "invalid poai_llm_max_txs 10000"},
		"reserved admin":     {func(s *Spec) { s.Token.Accounts[0].Name = "admin" }, "reserved"},
		"reserved operator":  {func(s *Spec) { s.Token.Accounts[0].Name = "node1-operator" }, "reserved"},
		"supply below stake": {func(s *Spec) { s.Token.Supply = "1000500" }, "validators' stake"},
	} {
		s := testSpec("acme", 4)
		tc.mut(s)
		s.Defaults()
		err := s.Validate()
		require.ErrorContains(t, err, tc.want, name)
	}
}

// In ai mode no key may change x/poai's params: refused before any network use.
func TestUpdatePoAIParamsRefusedInAIMode(t *testing.T) {
	spec := testSpec("beta", 1)
	spec.PoAIMode = PoAIModeAI
	c := &Chain{Dir: t.TempDir(), Spec: spec}
	_, err := c.UpdatePoAIParams(context.Background(), func(p *poai.Params) { p.MaxValidators = 2 })
	require.ErrorContains(t, err, "gov module")
}

// poaiValidators reads the bonded set, then asks for each of our validators
// missing from it (e.g. jailed) by its operator, through x/poai's generated
// query client on client.Client (JSON-RPC abci_query, as a node answers it).
func TestPoAIValidatorsQuery(t *testing.T) {
	bonded := poai.Validator{OperatorAddress: "op1", ConsensusAddress: []byte{0xaa}, Reputation: 900_000, Status: poai.STATUS_BONDED}
	jailed := poai.Validator{OperatorAddress: "op2", ConsensusAddress: []byte{0xbb}, Reputation: 700_000, Jailed: true, JailedUntil: 700, Status: poai.STATUS_UNBONDING}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var call struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Path string `json:"path"`
				Data string `json:"data"`
			} `json:"params"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&call))
		require.Equal(t, "abci_query", call.Method)
		data, err := hex.DecodeString(call.Params.Data)
		require.NoError(t, err)
		var bz []byte
		switch call.Params.Path {
		case "/selfchain.poai.v1.Query/Validators":
			var req poai.QueryValidatorsRequest
			require.NoError(t, req.Unmarshal(data))
			require.Equal(t, poai.STATUS_BONDED, req.Status)
			bz, _ = (&poai.QueryValidatorsResponse{Validators: []poai.Validator{bonded}}).Marshal()
		case "/selfchain.poai.v1.Query/Validator":
			var req poai.QueryValidatorRequest
			require.NoError(t, req.Unmarshal(data))
			require.Equal(t, "op2", req.OperatorAddress, "only the validator missing from the bonded set is asked for")
			bz, _ = (&poai.QueryValidatorResponse{Validator: jailed}).Marshal()
		default:
			t.Errorf("unexpected path %q", call.Params.Path)
		}
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"response":{"code":0,"value":%q}}}`, call.ID, base64.StdEncoding.EncodeToString(bz))
	}))
	defer srv.Close()
	cl, err := client.New(srv.URL)
	require.NoError(t, err)
	got, err := poaiValidators(context.Background(), poai.NewQueryClient(cl), map[string]string{"AA": "op1", "BB": "op2"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, uint32(900_000), got["AA"].Reputation)
	require.True(t, got["BB"].Jailed)
	var vs ValidatorStatus
	vs.setPoAI(got["BB"])
	require.Equal(t, ValidatorStatus{Reputation: "0.700000", Jailed: true, JailedUntil: 700, PoAIStatus: "unbonding", Operator: "op2"}, vs)
	// The shared formatting, as `selfchaind query poai` prints it.
	require.Equal(t, "1.000000", poai.FormatPPM(poai.PPM))
	require.Equal(t, "0.000001", poai.FormatPPM(1))
}
