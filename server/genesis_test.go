package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cosmos/gogoproto/jsonpb"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

func bankGenesis(t *testing.T, home string) bank.GenesisState {
	t.Helper()
	gen, err := LoadGenesis(GenesisPath(home))
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]json.RawMessage{}
	if err := json.Unmarshal(gen.AppState, &state); err != nil {
		t.Fatal(err)
	}
	var bs bank.GenesisState
	if err := jsonpb.Unmarshal(bytes.NewReader(state[bank.ModuleName]), &bs); err != nil {
		t.Fatal(err)
	}
	return bs
}

func TestInitHomeWritesAValidHome(t *testing.T) {
	for _, keyType := range []string{"", ConsensusKeyMlDsa65} {
		t.Run("key "+keyType, func(t *testing.T) {
			home := t.TempDir()
			if err := InitHome(home, "n0", "selfchain-test-1", keyType); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"config/config.toml", "config/app.toml", "config/node_key.json",
				"config/priv_validator_key.json", "data/priv_validator_state.json", "config/genesis.json"} {
				if _, err := os.Stat(filepath.Join(home, f)); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
			gen, err := LoadGenesis(GenesisPath(home))
			if err != nil {
				t.Fatal(err)
			}
			if err := ValidateGenesis(gen); err != nil {
				t.Fatal(err)
			}
			want := keyType
			if want == "" {
				want = ConsensusKeyEd25519
			}
			if len(gen.Validators) != 1 || gen.Validators[0].PubKey.Type() != want || gen.Validators[0].Power != DefaultValidatorPower {
				t.Fatalf("validators %+v", gen.Validators)
			}
			if gen.ChainID != "selfchain-test-1" || gen.ConsensusParams.Block.MaxBytes != app.DefaultBlockMaxBytes ||
				gen.ConsensusParams.ABCI.VoteExtensionsEnableHeight != 1 ||
				strings.Join(gen.ConsensusParams.Validator.PubKeyTypes, ",") != "ed25519,ml_dsa_65" {
				t.Fatalf("genesis %s params %+v", gen.ChainID, gen.ConsensusParams)
			}
			conf, err := LoadCometConfig(home, nil)
			if err != nil || conf.Moniker != "n0" {
				t.Fatalf("config.toml: moniker %q, %v", conf.Moniker, err)
			}

			// Overwrite keeps the validator key and rewrites the genesis.
			before, _ := ShowValidator(home)
			if err := InitHome(home, "n0", "selfchain-test-2", keyType, Overwrite(true)); err != nil {
				t.Fatal(err)
			}
			after, _ := ShowValidator(home)
			if !before.Equals(after) {
				t.Fatal("--overwrite replaced the validator key")
			}
			other := ConsensusKeyMlDsa65
			if keyType == ConsensusKeyMlDsa65 {
				other = ConsensusKeyEd25519
			}
			if err := InitHome(home, "n0", "selfchain-test-2", other, Overwrite(true)); err == nil {
				t.Fatal("a key type other than the existing key's must be refused")
			}
		})
	}
}

func TestInitHomeRejectsBadInput(t *testing.T) {
	for name, args := range map[string][3]string{
		"empty moniker":  {"", "c-1", ""},
		"empty chain id": {"m", "", ""},
		"bad chain id":   {"m", "a chain", ""},
		"long chain id":  {"m", strings.Repeat("x", 51), ""},
		"bad key type":   {"m", "c-1", "secp256k1"},
	} {
		if err := InitHome(t.TempDir(), args[0], args[1], args[2]); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAddGenesisAccount(t *testing.T) {
	home := t.TempDir()
	if err := InitHome(home, "n0", "selfchain-test-1", ""); err != nil {
		t.Fatal(err)
	}
	k, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	addr := k.PubKey().Address()
	path := GenesisPath(home)
	if err := AddGenesisAccount(path, addr, mustCoins(t, "100uself"), false); err != nil {
		t.Fatal(err)
	}
	if err := AddGenesisAccount(path, addr, mustCoins(t, "5uself"), false); err == nil {
		t.Fatal("adding an existing account without append must fail")
	}
	if err := AddGenesisAccount(path, addr, mustCoins(t, "5uself"), true); err != nil {
		t.Fatal(err)
	}
	bs := bankGenesis(t, home)
	if len(bs.Balances) != 1 || bs.Balances[0].Coins.String() != "105uself" || bs.Balances[0].Address != addr.String() {
		t.Fatalf("balances %+v", bs.Balances)
	}
	if !bs.Supply.IsZero() {
		t.Fatalf("an empty supply must stay empty (derived), got %s", bs.Supply)
	}
	if err := AddGenesisAccount(path, addr, mustCoins(t, "5unknown"), true); err == nil {
		t.Fatal("a denom without metadata must be refused by genesis validation")
	}
	if got := bankGenesis(t, home).Balances[0].Coins.String(); got != "105uself" {
		t.Fatalf("a refused edit must not be written: %s", got)
	}
}

func TestAddGenesisValidatorFromAnotherHome(t *testing.T) {
	home0, home1, home2 := t.TempDir(), t.TempDir(), t.TempDir()
	for _, h := range []string{home0, home1} {
		if err := InitHome(h, "v", "selfchain-test-1", ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := InitHome(home2, "v2", "selfchain-test-1", ConsensusKeyMlDsa65); err != nil {
		t.Fatal(err)
	}
	path := GenesisPath(home0)
	// A home directory and a priv_validator_key.json give the private key, which signs the proof.
	key1, err := poai.ParseValidatorKey(home1)
	if err != nil || key1.Priv == nil {
		t.Fatalf("home: %+v %v", key1, err)
	}
	if err := AddGenesisValidator(path, "v1", key1.Pub, 5, nil, ProveWith(key1, "")); err != nil {
		t.Fatal(err)
	}
	key2, err := poai.ParseValidatorKey(filepath.Join(home2, "config", "priv_validator_key.json"))
	if err != nil || key2.Priv == nil {
		t.Fatalf("priv_validator_key.json: %+v %v", key2, err)
	}
	// show-validator's JSON gives only the public key: the proof must come from the key's home.
	js, _ := cmtjson.Marshal(key2.Pub)
	fromJSON, err := poai.ParseValidatorKey(string(js))
	if err != nil || !fromJSON.Pub.Equals(key2.Pub) || fromJSON.Priv != nil {
		t.Fatalf("show-validator JSON: %v", err)
	}
	if err := AddGenesisValidator(path, "v2", fromJSON.Pub, 7, nil, ProveWith(fromJSON, "")); err == nil || !strings.Contains(err.Error(), "comet key-proof") {
		t.Fatalf("a public key without a proof: %v", err)
	}
	op2 := crypto.PubKeyAddress(key2.Pub.Type(), key2.Pub.Bytes())
	wrongChain, err := ConsensusKeyProof(home2, "selfchain-other-1", op2)
	if err != nil {
		t.Fatal(err)
	}
	err = AddGenesisValidator(path, "v2", fromJSON.Pub, 7, nil, ProveWith(fromJSON, base64.StdEncoding.EncodeToString(wrongChain)))
	if !errors.Is(err, poai.ErrInvalidKeyProof) {
		t.Fatalf("a proof for another chain id: %v", err)
	}
	proof, err := ConsensusKeyProof(home2, "selfchain-test-1", op2)
	if err != nil {
		t.Fatal(err)
	}
	if err := AddGenesisValidator(path, "v2", fromJSON.Pub, 7, nil, ProveWith(fromJSON, base64.StdEncoding.EncodeToString(proof))); err != nil {
		t.Fatal(err)
	}
	if err := AddGenesisValidator(path, "v1 again", key1.Pub, 5, nil, ProveWith(key1, "")); err == nil {
		t.Fatal("a duplicate validator must be refused")
	}
	if err := AddGenesisValidator(path, "zero", key1.Pub, 0, nil, ProveWith(key1, "")); err == nil {
		t.Fatal("zero power must be refused")
	}
	gen, err := LoadGenesis(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(gen.Validators) != 3 || gen.Validators[2].PubKey.Type() != ConsensusKeyMlDsa65 {
		t.Fatalf("validators %+v", gen.Validators)
	}
	if _, err := ParseValidatorPubKey(`{"type":"nope","value":"AA=="}`); err == nil {
		t.Fatal("a bogus key must be refused")
	}
	if _, err := ParseValidatorPubKey(filepath.Join(home0, "missing.json")); err == nil {
		t.Fatal("a missing file must be refused")
	}
}
