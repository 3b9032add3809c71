package server

import (
	"encoding/json"
	"fmt"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/upgrade"
)

// SetGenesisUpgradeAuthority makes addr x/upgrade's authority in genesis: the
// account that may plan and cancel software upgrades.
func SetGenesisUpgradeAuthority(genesisPath string, addr crypto.Address) error {
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
	gs := upgrade.DefaultGenesis()
	if raw, ok := state[upgrade.ModuleName]; ok && len(raw) > 0 && string(raw) != "null" {
		if err := runtime.UnmarshalGenesis(raw, &gs); err != nil {
			return fmt.Errorf("genesis app_state.%s: %w", upgrade.ModuleName, err)
		}
	}
	gs.Params.Authority = addr.String()
	if state[upgrade.ModuleName], err = runtime.MarshalGenesis(&gs); err != nil {
		return err
	}
	if gen.AppState, err = json.Marshal(state); err != nil {
		return err
	}
	return saveGenesis(genesisPath, gen)
}
