package constellation

import (
	"encoding/json"
	"fmt"
	"regexp"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/x/poai"
)

// ValidatorStake is each genesis validator's self-stake in the chain's base
// denom: the CometBFT genesis power (server.DefaultValidatorPower) times
// x/poai's PowerReduction, so the set x/poai hands CometBFT at InitChain has the
// same powers genesis.json names.
const ValidatorStake = uint64(server.DefaultValidatorPower) * poai.PowerReduction

// FeeFloat is what each operator account (and the admin account) gets at
// genesis, in the base denom, so it can pay for edit-validator, unjail,
// withdraw-rewards or update-params without a transfer first (a tx costs
// ~200,000 gas × 0.001 = 200 base units).
const FeeFloat = 100_000

// AdminName is the key, in authority mode, that x/poai accepts as its params
// authority (max_validators, min_self_stake, ...): the company's admin.
const AdminName = "admin"

// operatorSuffix makes node1's operator key "node1-operator".
const operatorSuffix = "-operator"

// OperatorName is the client-keyring key that operates node i's validator.
func OperatorName(i int) string { return NodeName(i) + operatorSuffix }

// reservedNameRe matches the key names constellation makes for itself.
var reservedNameRe = regexp.MustCompile(`^(treasury|admin|node[0-9]+-operator)$`)

// reservedAccount reports whether a genesis-account name is one constellation
// creates itself (so a user account cannot take it).
func reservedAccount(name string) bool { return reservedNameRe.MatchString(name) }

// systemAccounts are the keys constellation funds besides the spec's accounts:
// an operator per validator, and the params admin in authority mode.
func systemAccounts(spec *Spec) []Account {
	var out []Account
	for i := 0; i < spec.Validators; i++ {
		out = append(out, Account{Name: OperatorName(i), Amount: fmt.Sprint(FeeFloat)})
	}
	if spec.PoAIMode == PoAIModeAuthority {
		out = append(out, Account{Name: AdminName, Amount: fmt.Sprint(FeeFloat)})
	}
	return out
}

// reservedSupply is what genesis takes from the supply before the treasury:
// the validators' stake (held by x/poai's bonded pool) and the fee floats.
func reservedSupply(spec *Spec) uint64 {
	n := uint64(spec.Validators)
	floats := n
	if spec.PoAIMode == PoAIModeAuthority {
		floats++
	}
	return n*ValidatorStake + floats*FeeFloat
}

// modelName is what each genesis validator records as its AI model: the
// spec's poai_model, else the analyzer it runs (builtin, or off).
func (s *Spec) modelName() string {
	if s.PoAIModel != "" {
		return s.PoAIModel
	}
	return s.PoAIAnalyzer
}

// poaiParams are x/poai's params for the spec. Both modes bond the chain's own
// token. In authority mode the company fixes the set: max_validators is the
// validator count, only the genesis operators may create a validator
// (allowed_operators), and the admin key is the params authority, so a
// newcomer joins only when the admin admits its operator and raises the set
// (docs/CONSTELLATION.md). In ai mode everything else keeps x/poai's defaults
// (open admission; authority: the gov module address, i.e. nobody until
// governance exists).
func poaiParams(spec *Spec, admin string, operators []string) poai.Params {
	p := poai.DefaultParams()
	p.BondDenom = spec.Token.Denom
	if spec.PoAIMode == PoAIModeAuthority {
		p.MaxValidators = uint32(spec.Validators)
		p.Authority = admin
		p.AllowedOperators = append([]string(nil), operators...)
	}
	return p
}

// applyPoAIGenesis writes x/poai's genesis into app_state: the params for the
// spec's mode and one validator per node (its consensus key and the proof of
// possession its node signed, ValidatorStake in the chain's denom, the operator
// key from the client keyring, the model). operators[i] is node i's operator
// address, proofs[i] its proof; admin the authority-mode admin's address.
func applyPoAIGenesis(state map[string]json.RawMessage, spec *Spec, vals []cmttypes.GenesisValidator, operators []string, proofs [][]byte, admin string) error {
	if len(operators) != len(vals) || len(proofs) != len(vals) {
		return fmt.Errorf("poai genesis: %d operators and %d proofs for %d validators", len(operators), len(proofs), len(vals))
	}
	gs := poai.DefaultGenesis()
	gs.Params = poaiParams(spec, admin, operators)
	for i, v := range vals {
		gs.Validators = append(gs.Validators, poai.Validator{
			OperatorAddress:   operators[i],
			ConsensusKey:      poai.ConsensusKeyFromPubKey(v.PubKey),
			ConsensusAddress:  v.PubKey.Address(),
			SelfStake:         ValidatorStake,
			ModelName:         spec.modelName(),
			Moniker:           v.Name,
			ConsensusKeyProof: proofs[i],
		})
	}
	if err := gs.Validate(); err != nil {
		return fmt.Errorf("poai genesis: %w", err)
	}
	if err := gs.ValidateKeyProofs(spec.ChainID); err != nil {
		return fmt.Errorf("poai genesis: %w", err)
	}
	raw, err := runtime.MarshalGenesis(&gs)
	if err != nil {
		return err
	}
	state[poai.ModuleName] = raw
	return nil
}

// bondedPool is x/poai's module account holding the validators' stake; genesis
// funds it from the supply so x/poai mints nothing at InitChain and the chain's
// total supply is exactly the spec's.
func bondedPool() string { return poai.BondedPool.String() }
