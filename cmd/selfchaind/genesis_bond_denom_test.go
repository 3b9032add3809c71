package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/poai"
)

// `selfchaind genesis validate` refuses a genesis whose x/poai bond denom bank
// does not know, naming both (the chain would otherwise start and halt at
// block 1 minting inflation in it); the file `init` writes passes.
func TestGenesisValidateUnknownBondDenom(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	_, err := runCLI(t, "init", "denom-check", "--chain-id", "denom-check-1", "--home", home)
	require.NoError(t, err)
	out, err := runCLI(t, "genesis", "validate", "--home", home)
	require.NoError(t, err, out)

	path := filepath.Join(home, "config", "genesis.json")
	bz, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(bz, &doc))
	var state map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(doc["app_state"], &state))
	var gs poai.GenesisState
	require.NoError(t, runtime.UnmarshalGenesis(state[poai.ModuleName], &gs))
	gs.Params.BondDenom = "uacme"
	state[poai.ModuleName], err = runtime.MarshalGenesis(&gs)
	require.NoError(t, err)
	doc["app_state"], err = json.Marshal(state)
	require.NoError(t, err)
	bz, err = json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, bz, 0o600))

	out, err = runCLI(t, "genesis", "validate", "--home", home)
	require.Error(t, err, out)
	msg := err.Error()
	for _, want := range []string{"app_state.poai: params.bond_denom: uacme is not known to bank", "app_state.bank.denom_metadata", "add a denom_metadata entry for uacme"} {
		require.True(t, strings.Contains(msg, want), "%q lacks %q", msg, want)
	}
}
