package constellation

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/poai"
)

// PoAIGenesisFile is x/poai's genesis section in genesis-ready form, kept next
// to the chain's genesis while x/poai is not part of the app.
const PoAIGenesisFile = "poai.genesis.json"

// poaiModule is x/poai's name in app_state.
const poaiModule = "poai"

// PoAIGenesis is what a chain's spec says about PoAI. In "authority" mode the
// validator set is the genesis set (the company's nodes) and PoAI does not
// rotate it; in "ai" mode x/poai selects validators by reputation.
type PoAIGenesis struct {
	Mode       string          `json:"mode"`
	Model      string          `json:"model,omitempty"`
	Validators []PoAIValidator `json:"validators"`
}

// PoAIValidator is a genesis validator as x/poai will see it.
type PoAIValidator struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Power   int64  `json:"power"`
}

func poaiGenesis(spec *Spec, vals []cmttypes.GenesisValidator) PoAIGenesis {
	g := PoAIGenesis{Mode: spec.PoAIMode, Model: spec.PoAIModel}
	for _, v := range vals {
		g.Validators = append(g.Validators, PoAIValidator{Name: v.Name, Address: v.Address.String(), Power: v.Power})
	}
	return g
}

// applyPoAIGenesis is THE place where x/poai's genesis params get written into
// app_state. x/poai is in the app: its params must name the chain's own token as
// the bond denom (the default, uself, is unknown to a corporate chain, and the
// first EndBlock would fail minting it), and its per-block inflation is 0 so the
// spec's stated supply stays the supply. The validator list stays CometBFT's
// genesis set (PoAI records it as the current set); mapping spec.PoAIMode onto
// PoAI's validator records is not done yet.
func applyPoAIGenesis(state map[string]json.RawMessage, spec *Spec, vals []cmttypes.GenesisValidator) error {
	raw, ok := state[poaiModule]
	if !ok {
		return nil
	}
	gs := poai.DefaultGenesis()
	if len(raw) > 0 && string(raw) != "null" {
		if err := runtime.UnmarshalGenesis(raw, &gs); err != nil {
			return fmt.Errorf("genesis app_state.%s: %w", poaiModule, err)
		}
	}
	gs.Params.BondDenom = spec.Token.Denom
	gs.Params.InflationPerBlock = 0
	bz, err := runtime.MarshalGenesis(&gs)
	if err != nil {
		return err
	}
	state[poaiModule] = bz
	_ = vals
	return nil
}

func writePoAIGenesis(dir string, spec *Spec, vals []cmttypes.GenesisValidator) error {
	bz, err := json.MarshalIndent(poaiGenesis(spec, vals), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, PoAIGenesisFile), bz, 0o644)
}
