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
	for i, v := range gen.Validators {
		if !cmttypes.IsValidPubkeyType(gen.ConsensusParams.Validator, v.PubKey.Type()) {
			return fmt.Errorf("genesis: validators[%d] (%s) has a %s key, which consensus_params.validator.pub_key_types does not allow", i, v.Name, v.PubKey.Type())
		}
	}
	if err := app.ValidateGenesisAppState(gen.AppState); err != nil {
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

// AddGenesisValidator adds a validator with pub and power to genesis.validators.
// A key already in the set is an error.
func AddGenesisValidator(genesisPath, name string, pub cmtcrypto.PubKey, power int64) error {
	if power <= 0 {
		return fmt.Errorf("validator power must be positive, got %d", power)
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
	if err := addPoaiGenesisValidator(gen, name, pub, power); err != nil {
		return err
	}
	return saveGenesis(genesisPath, gen)
}

// addPoaiGenesisValidator mirrors a CometBFT genesis validator in
// app_state.poai.validators (self-stake = power × poai.PowerReduction), so PoAI's
// InitChain answer is the same set CometBFT's genesis names. The operator is the
// account address of the consensus key (same scheme and bytes): rewards and
// unbonded stake go there. The validator should later move to an operator key it
// controls by creating a new validator (docs/modules/poai.md).
func addPoaiGenesisValidator(gen *cmttypes.GenesisDoc, name string, pub cmtcrypto.PubKey, power int64) error {
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
	ps.Validators = append(ps.Validators, poai.Validator{
		OperatorAddress:  crypto.PubKeyAddress(ck.Type, ck.Key).String(),
		ConsensusKey:     ck,
		ConsensusAddress: pub.Address(),
		SelfStake:        uint64(power) * poai.PowerReduction,
		ModelName:        "builtin",
		Moniker:          name,
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
// unbonded stake and signs edit-validator, unjail and withdraw-rewards.
func SetGenesisValidatorOperator(genesisPath, moniker string, operator crypto.Address) error {
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
	ps.Validators[found].OperatorAddress = operator.String()
	if state[poai.ModuleName], err = runtime.MarshalGenesis(&ps); err != nil {
		return err
	}
	if gen.AppState, err = json.Marshal(state); err != nil {
		return err
	}
	return saveGenesis(genesisPath, gen)
}
