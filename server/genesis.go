package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

// GenesisPath is where a home keeps genesis.json (config/genesis.json unless config.toml moves it).
func GenesisPath(home string) string { return homeConfig(home).GenesisFile() }

// LoadGenesis reads and checks a genesis file (CometBFT's part and the app_state).
func LoadGenesis(path string) (*cmttypes.GenesisDoc, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	gen, err := cmttypes.GenesisDocFromJSON(bz)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return gen, nil
}

// ValidateGenesis checks everything a node checks before InitChain: CometBFT's
// rules (chain id, consensus params, validators) and every module's app_state.
func ValidateGenesis(gen *cmttypes.GenesisDoc) error {
	if err := gen.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	// Only key types the app can check (poai.ValidateConsensusKey) may reach CometBFT.
	if err := poai.CheckConsensusKeyTypes(gen.ConsensusParams.Validator.PubKeyTypes); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	for i, v := range gen.Validators {
		if !cmttypes.IsValidPubkeyType(gen.ConsensusParams.Validator, v.PubKey.Type()) {
			return fmt.Errorf("genesis: validators[%d] (%s) has a %s key, which consensus_params.validator.pub_key_types does not allow", i, v.Name, v.PubKey.Type())
		}
		if _, err := poai.ValidateConsensusKey(poai.ConsensusKeyFromPubKey(v.PubKey)); err != nil {
			return fmt.Errorf("genesis: validators[%d] (%s): %w", i, v.Name, err)
		}
	}
	if err := app.ValidateGenesisAppState(gen.ChainID, gen.AppState); err != nil {
		return fmt.Errorf("genesis app_state: %w", err)
	}
	return nil
}

// saveGenesis validates gen and writes it to path.
func saveGenesis(path string, gen *cmttypes.GenesisDoc) error {
	if err := ValidateGenesis(gen); err != nil {
		return err
	}
	return gen.SaveAs(path)
}

// AddGenesisAccount gives addr coins in app_state.bank.balances. An address
// already listed is an error unless appendCoins, which adds to its balance. A
// stated supply is kept consistent; an empty one stays empty (it is derived).
func AddGenesisAccount(genesisPath string, addr crypto.Address, coins types.Coins, appendCoins bool) error {
	if err := coins.Validate(); err != nil {
		return fmt.Errorf("invalid coins: %w", err)
	}
	if coins.IsZero() {
		return errors.New("no coins to add")
	}
	gen, err := LoadGenesis(genesisPath)
	if err != nil {
		return err
	}
	state := map[string]json.RawMessage{}
	if len(gen.AppState) > 0 {
		if err := json.Unmarshal(gen.AppState, &state); err != nil {
			return fmt.Errorf("genesis app_state: %w", err)
		}
	}
	var bs bank.GenesisState
	if raw, ok := state[bank.ModuleName]; ok && len(raw) > 0 && string(raw) != "null" {
		if err := runtime.UnmarshalGenesis(raw, &bs); err != nil {
			return fmt.Errorf("genesis app_state.%s: %w", bank.ModuleName, err)
		}
	} else {
		bs = bank.DefaultGenesis()
	}

	found := false
	for i, b := range bs.Balances {
		other, err := crypto.AddressFromBech32(b.Address)
		if err != nil || !other.Equals(addr) {
			continue
		}
		if !appendCoins {
			return fmt.Errorf("account %s is already in genesis with %s: pass --append to add to it", addr, b.Coins)
		}
		sum, err := b.Coins.Add(coins)
		if err != nil {
			return err
		}
		bs.Balances[i].Coins = sum
		found = true
	}
	if !found {
		bs.Balances = append(bs.Balances, bank.Balance{Address: addr.String(), Coins: coins})
	}
	if !bs.Supply.IsZero() {
		if bs.Supply, err = bs.Supply.Add(coins); err != nil {
			return fmt.Errorf("supply: %w", err)
		}
	}

	if state[bank.ModuleName], err = runtime.MarshalGenesis(&bs); err != nil {
		return err
	}
	if gen.AppState, err = json.Marshal(state); err != nil {
		return err
	}
	return saveGenesis(genesisPath, gen)
}

// KeyProver makes a genesis validator's proof of possession of its consensus
// key pub for operator on chainID (poai.KeyProofSignBytes), usually by signing
// with the validator's priv_validator_key.json (ProveWith).
type KeyProver func(pub cmtcrypto.PubKey, chainID string, operator crypto.Address) ([]byte, error)

// ProveWith is the KeyProver of a consensus key read with
// poai.ParseValidatorKey: it signs with the private key, or returns given
// (base64, made where the private key lives) when that is not empty. It refuses
// to prove a validator whose key is another one.
func ProveWith(key poai.ValidatorKey, given string) KeyProver {
	return func(pub cmtcrypto.PubKey, chainID string, operator crypto.Address) ([]byte, error) {
		if !key.Pub.Equals(pub) {
			return nil, fmt.Errorf("the consensus key given (%X) is not this validator's (%X): point at its priv_validator_key.json or its home, or pass its --key-proof",
				key.Pub.Address(), pub.Address())
		}
		return key.Prove(chainID, operator, given)
	}
}

// HomeKeyProver proves with the consensus key of a node home (its
// config/priv_validator_key.json).
func HomeKeyProver(home string) KeyProver {
	return func(pub cmtcrypto.PubKey, chainID string, operator crypto.Address) ([]byte, error) {
		key, err := poai.ParseValidatorKey(homeConfig(home).PrivValidatorKeyFile())
		if err != nil {
			return nil, err
		}
		return ProveWith(key, "")(pub, chainID, operator)
	}
}

// ConsensusKeyProof is the proof of possession of home's consensus key for
// operator on chainID (what `selfchaind comet key-proof` prints).
func ConsensusKeyProof(home, chainID string, operator crypto.Address) ([]byte, error) {
	key, err := poai.ParseValidatorKey(homeConfig(home).PrivValidatorKeyFile())
	if err != nil {
		return nil, err
	}
	if key.Priv == nil {
		return nil, fmt.Errorf("%s holds no private key", homeConfig(home).PrivValidatorKeyFile())
	}
	return poai.SignKeyProof(key.Priv, chainID, operator)
}

// AddGenesisValidator adds a validator with pub and power to genesis.validators
// and app_state.poai.validators, operated by operator (nil: the account address
// of the consensus key), with the proof of possession prove makes for the
// genesis chain id. A key already in the set is an error.
func AddGenesisValidator(genesisPath, name string, pub cmtcrypto.PubKey, power int64, operator crypto.Address, prove KeyProver) error {
	if power <= 0 {
		return fmt.Errorf("validator power must be positive, got %d", power)
	}
	if _, err := poai.ValidateConsensusKey(poai.ConsensusKeyFromPubKey(pub)); err != nil {
		return err
	}
	gen, err := LoadGenesis(genesisPath)
	if err != nil {
		return err
	}
	for _, v := range gen.Validators {
		if v.PubKey.Equals(pub) {
			return fmt.Errorf("validator %X (%s) is already in genesis", pub.Address(), v.Name)
		}
	}
	gen.Validators = append(gen.Validators, cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: power, Name: name})
	if err := addPoaiGenesisValidator(gen, name, pub, power, operator, prove); err != nil {
		return err
	}
	return saveGenesis(genesisPath, gen)
}

// addPoaiGenesisValidator mirrors a CometBFT genesis validator in
// app_state.poai.validators (self-stake = power × poai.PowerReduction), so PoAI's
// InitChain answer is the same set CometBFT's genesis names. The operator, when
// nil, is the account address of the consensus key (same scheme and bytes):
// rewards and unbonded stake go there. The validator should later move to an
// operator key it controls (genesis set-operator, docs/modules/poai.md). prove
// signs the proof of possession for the operator and gen's chain id.
func addPoaiGenesisValidator(gen *cmttypes.GenesisDoc, name string, pub cmtcrypto.PubKey, power int64, operator crypto.Address, prove KeyProver) error {
	state := map[string]json.RawMessage{}
	if len(gen.AppState) > 0 {
		if err := json.Unmarshal(gen.AppState, &state); err != nil {
			return fmt.Errorf("genesis app_state: %w", err)
		}
	}
	var ps poai.GenesisState
	if raw, ok := state[poai.ModuleName]; ok && len(raw) > 0 && string(raw) != "null" {
		if err := runtime.UnmarshalGenesis(raw, &ps); err != nil {
			return fmt.Errorf("genesis app_state.%s: %w", poai.ModuleName, err)
		}
	} else {
		ps = poai.DefaultGenesis()
	}
	ck := poai.ConsensusKeyFromPubKey(pub)
	if len(name) > poai.MaxMonikerLen {
		name = name[:poai.MaxMonikerLen]
	}
	if operator == nil {
		operator = crypto.PubKeyAddress(ck.Type, ck.Key)
	}
	proof, err := prove(pub, gen.ChainID, operator)
	if err != nil {
		return fmt.Errorf("genesis validator %s: proof of possession of its consensus key: %w", name, err)
	}
	ps.Validators = append(ps.Validators, poai.Validator{
		OperatorAddress:   operator.String(),
		ConsensusKey:      ck,
		ConsensusAddress:  pub.Address(),
		SelfStake:         uint64(power) * poai.PowerReduction,
		ModelName:         "builtin",
		Moniker:           name,
		ConsensusKeyProof: proof,
	})
	raw, err := runtime.MarshalGenesis(&ps)
	if err != nil {
		return err
	}
	state[poai.ModuleName] = raw
	gen.AppState, err = json.Marshal(state)
	return err
}

// ParseValidatorPubKey is poai.ParseValidatorPubKey (it moved there, next to the
// create-validator command that reads it; the genesis commands read it here).
func ParseValidatorPubKey(s string) (cmtcrypto.PubKey, error) { return poai.ParseValidatorPubKey(s) }

// SetGenesisValidatorOperator makes operator the PoAI operator of the genesis
// validator called moniker (init and add-validator default it to the consensus
// key's own account, which no keyring holds): the operator receives its rewards and
// unbonded stake and signs edit-validator, unjail and withdraw-rewards. The proof
// of possession names the operator, so prove makes a new one.
func SetGenesisValidatorOperator(genesisPath, moniker string, operator crypto.Address, prove KeyProver) error {
	gen, err := LoadGenesis(genesisPath)
	if err != nil {
		return err
	}
	state := map[string]json.RawMessage{}
	if err := json.Unmarshal(gen.AppState, &state); err != nil {
		return fmt.Errorf("genesis app_state: %w", err)
	}
	var ps poai.GenesisState
	if err := runtime.UnmarshalGenesis(state[poai.ModuleName], &ps); err != nil {
		return fmt.Errorf("genesis app_state.%s: %w", poai.ModuleName, err)
	}
	found := -1
	for i, v := range ps.Validators {
		if v.OperatorAddress == operator.String() {
			return fmt.Errorf("%s is already the operator of genesis validator %q: one operator runs one validator", operator, v.Moniker)
		}
		if v.Moniker == moniker {
			found = i
		}
	}
	if found < 0 {
		return fmt.Errorf("no genesis validator called %q in app_state.%s.validators", moniker, poai.ModuleName)
	}
	pub, err := poai.PubKeyFromConsensusKey(ps.Validators[found].ConsensusKey)
	if err != nil {
		return fmt.Errorf("genesis validator %q: %w", moniker, err)
	}
	proof, err := prove(pub, gen.ChainID, operator)
	if err != nil {
		return fmt.Errorf("genesis validator %q: proof of possession of its consensus key for %s: %w", moniker, operator, err)
	}
	ps.Validators[found].OperatorAddress = operator.String()
	ps.Validators[found].ConsensusKeyProof = proof
	if state[poai.ModuleName], err = runtime.MarshalGenesis(&ps); err != nil {
		return err
	}
	if gen.AppState, err = json.Marshal(state); err != nil {
		return err
	}
	return saveGenesis(genesisPath, gen)
}
