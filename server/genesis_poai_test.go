package server

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/selfchain/selfchain/app/runtime"
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
