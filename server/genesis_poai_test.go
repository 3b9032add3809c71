package server

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"

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
	other := cmted25519.GenPrivKeyFromSecret([]byte("second")).PubKey()
	if err := AddGenesisValidator(GenesisPath(home), "n1", other, 7); err != nil {
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
	}
}

// set-operator points a genesis validator's PoAI operator at a held key; unknown
// monikers and an operator already running another validator are refused.
func TestSetGenesisValidatorOperator(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if err := InitHome(home, "n0", "selfchain-poai-1", ConsensusKeyEd25519); err != nil {
		t.Fatal(err)
	}
	path := GenesisPath(home)
	if err := AddGenesisValidator(path, "n1", cmted25519.GenPrivKeyFromSecret([]byte("second")).PubKey(), 7); err != nil {
		t.Fatal(err)
	}
	op := crypto.ModuleAddress("test-operator")
	if err := SetGenesisValidatorOperator(path, "n0", op); err != nil {
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
	before, _ := os.ReadFile(path)
	if err := SetGenesisValidatorOperator(path, "n1", op); err == nil || !strings.Contains(err.Error(), "already the operator") {
		t.Fatalf("second validator for one operator: %v", err)
	}
	if err := SetGenesisValidatorOperator(path, "nobody", crypto.ModuleAddress("x")); err == nil || !strings.Contains(err.Error(), "no genesis validator") {
		t.Fatalf("unknown moniker: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused set-operator changed genesis.json")
	}
}
