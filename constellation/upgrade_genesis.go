package constellation

import (
	"encoding/json"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/upgrade"
)

// UpgradeAuthorityName is the key that may plan the chain's software upgrades:
// the admin in authority mode, else the first validator's operator (both in the
// chain's client keyring).
func UpgradeAuthorityName(spec *Spec) string {
	if spec.PoAIMode == PoAIModeAuthority {
		return AdminName
	}
	return OperatorName(0)
}

// upgradeGenesis is x/upgrade's genesis with the authority UpgradeAuthorityName
// names: admin when set (authority mode), else operators[0].
func upgradeGenesis(operators []string, admin string) (json.RawMessage, error) {
	gs := upgrade.DefaultGenesis()
	switch {
	case admin != "":
		gs.Params.Authority = admin
	case len(operators) > 0:
		gs.Params.Authority = operators[0]
	}
	return runtime.MarshalGenesis(&gs)
}
