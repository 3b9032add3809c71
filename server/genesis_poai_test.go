package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/poai"
)

// init and genesis add-validator keep app_state.poai.validators in step with
// genesis.validators: same keys, stake = power × PowerReduction.
func TestGenesisValidatorsMirroredInPoai(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if err := InitHome(home, "n0", "selfchain-poai-1", ConsensusKeyEd25519); err != nil {
		t.Fatal(err)
	}
	other := cmted25519.GenPrivKeyFromSecret([]byte("second"))
	if err := AddGenesisValidator(GenesisPath(home), "n1", other.PubKey(), 7, nil, proverOf(other)); err != nil {
		t.Fatal(err)
	}
	gen, err := LoadGenesis(GenesisPath(home))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateGenesis(gen); err != nil {
		t.Fatal(err)
	}
	state := map[string]json.RawMessage{}
	if err := json.Unmarshal(gen.AppState, &state); err != nil {
		t.Fatal(err)
	}
	var gs poai.GenesisState
	if err := runtime.UnmarshalGenesis(state[poai.ModuleName], &gs); err != nil {
		t.Fatal(err)
	}
	if len(gs.Validators) != len(gen.Validators) || len(gs.Validators) != 2 {
		t.Fatalf("%d poai validators for %d CometBFT validators", len(gs.Validators), len(gen.Validators))
	}
	for i, cv := range gen.Validators {
		pv := gs.Validators[i]
		if !bytes.Equal(pv.ConsensusKey.Key, cv.PubKey.Bytes()) || pv.ConsensusKey.Type != cv.PubKey.Type() {
			t.Errorf("validator %d: key differs", i)
		}
		if pv.SelfStake != uint64(cv.Power)*poai.PowerReduction {
			t.Errorf("validator %d: stake %d for power %d", i, pv.SelfStake, cv.Power)
		}
		op, _ := crypto.AddressFromBech32(pv.OperatorAddress)
		if err := poai.VerifyKeyProof(cv.PubKey, gen.ChainID, op, pv.ConsensusKeyProof); err != nil {
			t.Errorf("validator %d: %v", i, err)
		}
	}
}

// proverOf signs genesis proofs with priv, as add-validator does with a
// priv_validator_key.json.
func proverOf(priv cmtcrypto.PrivKey) KeyProver {
	return ProveWith(poai.ValidatorKey{Pub: priv.PubKey(), Priv: priv}, "")
}

// set-operator points a genesis validator's PoAI operator at a held key; unknown
// monikers and an operator already running another validator are refused.
func TestSetGenesisValidatorOperator(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if err := InitHome(home, "n0", "selfchain-poai-1", ConsensusKeyEd25519); err != nil {
		t.Fatal(err)
	}
	path := GenesisPath(home)
	second := cmted25519.GenPrivKeyFromSecret([]byte("second"))
	if err := AddGenesisValidator(path, "n1", second.PubKey(), 7, nil, proverOf(second)); err != nil {
		t.Fatal(err)
	}
	op := crypto.ModuleAddress("test-operator")
	// The proof names the operator: it is signed again, and only n0's key can.
	before, _ := os.ReadFile(path)
	if err := SetGenesisValidatorOperator(path, "n0", op, proverOf(second)); err == nil || !strings.Contains(err.Error(), "is not this validator's") {
		t.Fatalf("n0 re-signed by n1's key: %v", err)
	}
	if err := SetGenesisValidatorOperator(path, "n0", op, HomeKeyProver(home)); err != nil {
		t.Fatal(err)
	}
	gen, err := LoadGenesis(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateGenesis(gen); err != nil {
		t.Fatal(err)
	}
	state := map[string]json.RawMessage{}
	if err := json.Unmarshal(gen.AppState, &state); err != nil {
		t.Fatal(err)
	}
	var gs poai.GenesisState
	if err := runtime.UnmarshalGenesis(state[poai.ModuleName], &gs); err != nil {
		t.Fatal(err)
	}
	if gs.Validators[0].Moniker != "n0" || gs.Validators[0].OperatorAddress != op.String() {
		t.Fatalf("n0 operator = %s, want %s", gs.Validators[0].OperatorAddress, op)
	}
	if err := poai.VerifyKeyProof(gen.Validators[0].PubKey, gen.ChainID, op, gs.Validators[0].ConsensusKeyProof); err != nil {
		t.Fatalf("n0's proof after set-operator: %v", err)
	}
	if after, _ := os.ReadFile(path); bytes.Equal(before, after) {
		t.Fatal("set-operator did not write")
	}
	before, _ = os.ReadFile(path)
	if err := SetGenesisValidatorOperator(path, "n1", op, proverOf(second)); err == nil || !strings.Contains(err.Error(), "already the operator") {
		t.Fatalf("second validator for one operator: %v", err)
	}
	if err := SetGenesisValidatorOperator(path, "nobody", crypto.ModuleAddress("x"), proverOf(second)); err == nil || !strings.Contains(err.Error(), "no genesis validator") {
		t.Fatalf("unknown moniker: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused set-operator changed genesis.json")
	}
}

// Genesis validation applies poai.ValidateConsensusKey and the proof check to
// every consensus key of a genesis, and refuses consensus params that let
// CometBFT accept a key type the app cannot check.
func TestValidateGenesisChecksConsensusKeys(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if err := InitHome(home, "n0", "selfchain-poai-1", ConsensusKeyEd25519); err != nil {
		t.Fatal(err)
	}
	load := func() *cmttypes.GenesisDoc {
		gen, err := LoadGenesis(GenesisPath(home))
		if err != nil {
			t.Fatal(err)
		}
		return gen
	}
	if err := ValidateGenesis(load()); err != nil {
		t.Fatal(err)
	}
	editPoai := func(gen *cmttypes.GenesisDoc, f func(gs *poai.GenesisState)) {
		state := map[string]json.RawMessage{}
		if err := json.Unmarshal(gen.AppState, &state); err != nil {
			t.Fatal(err)
		}
		var gs poai.GenesisState
		if err := runtime.UnmarshalGenesis(state[poai.ModuleName], &gs); err != nil {
			t.Fatal(err)
		}
		f(&gs)
		raw, err := runtime.MarshalGenesis(&gs)
		if err != nil {
			t.Fatal(err)
		}
		state[poai.ModuleName] = raw
		if gen.AppState, err = json.Marshal(state); err != nil {
			t.Fatal(err)
		}
	}
	zero := cmted25519.PubKey(make([]byte, 32))
	for _, tc := range []struct {
		name string
		edit func(gen *cmttypes.GenesisDoc)
		want error
	}{
		{"consensus params allow secp256k1", func(gen *cmttypes.GenesisDoc) {
			gen.ConsensusParams.Validator.PubKeyTypes = []string{"ed25519", "secp256k1"}
		}, poai.ErrConsensusKeyTypeNotAllowed},
		{"genesis.json validator with the all-zero key", func(gen *cmttypes.GenesisDoc) {
			gen.Validators = append(gen.Validators, cmttypes.GenesisValidator{Address: zero.Address(), PubKey: zero, Power: 1, Name: "zero"})
		}, poai.ErrSmallOrderConsensusKey},
		{"poai validator without a proof", func(gen *cmttypes.GenesisDoc) {
			editPoai(gen, func(gs *poai.GenesisState) { gs.Validators[0].ConsensusKeyProof = nil })
		}, poai.ErrMissingKeyProof},
		{"poai validator whose proof names another chain", func(gen *cmttypes.GenesisDoc) {
			proof, err := ConsensusKeyProof(home, "selfchain-poai-2", mustOperator(t, gen))
			if err != nil {
				t.Fatal(err)
			}
			editPoai(gen, func(gs *poai.GenesisState) { gs.Validators[0].ConsensusKeyProof = proof })
		}, poai.ErrInvalidKeyProof},
		{"poai validator whose proof names another operator", func(gen *cmttypes.GenesisDoc) {
			proof, err := ConsensusKeyProof(home, gen.ChainID, crypto.ModuleAddress("someone-else"))
			if err != nil {
				t.Fatal(err)
			}
			editPoai(gen, func(gs *poai.GenesisState) { gs.Validators[0].ConsensusKeyProof = proof })
		}, poai.ErrInvalidKeyProof},
	} {
		gen := load()
		tc.edit(gen)
		// app_state errors are invalid-genesis errors that name the poai error.
		err := ValidateGenesis(gen)
		if !errors.Is(err, tc.want) && (err == nil || !strings.Contains(err.Error(), tc.want.Error())) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// add-validator refuses a small-order key before touching the file.
	before, _ := os.ReadFile(GenesisPath(home))
	err := AddGenesisValidator(GenesisPath(home), "zero", zero, 1, nil, func(cmtcrypto.PubKey, string, crypto.Address) ([]byte, error) {
		return make([]byte, 64), nil // the all-zero signature "verifies" under the all-zero key
	})
	if !errors.Is(err, poai.ErrSmallOrderConsensusKey) {
		t.Fatalf("all-zero key: %v", err)
	}
	if after, _ := os.ReadFile(GenesisPath(home)); !bytes.Equal(before, after) {
		t.Fatal("a refused add-validator changed genesis.json")
	}
}

func mustOperator(t *testing.T, gen *cmttypes.GenesisDoc) crypto.Address {
	t.Helper()
	pub := gen.Validators[0].PubKey
	return crypto.PubKeyAddress(pub.Type(), pub.Bytes())
}
