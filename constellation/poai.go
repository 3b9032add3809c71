package constellation

import (
	"encoding/json"
	"os"
	"path/filepath"

	cmttypes "github.com/cometbft/cometbft/types"
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
// app_state. Until the app has a poai module (app_state would reject an unknown
// section) it writes nothing; when x/poai lands, translate PoAIGenesis into its
// GenesisState here (mode -> its params, the validator list -> its initial set).
func applyPoAIGenesis(state map[string]json.RawMessage, spec *Spec, vals []cmttypes.GenesisValidator) error {
	if _, ok := state[poaiModule]; !ok {
		return nil
	}
	_ = poaiGenesis(spec, vals) // x/poai is present: map it to poai.GenesisState here.
	return nil
}

func writePoAIGenesis(dir string, spec *Spec, vals []cmttypes.GenesisValidator) error {
	bz, err := json.MarshalIndent(poaiGenesis(spec, vals), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, PoAIGenesisFile), bz, 0o644)
}
