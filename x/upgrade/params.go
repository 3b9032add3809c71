package upgrade

import (
	"fmt"

	"github.com/selfchain/selfchain/crypto"
)

// DefaultAuthority is the module address of a governance module that does not exist
// yet: no one can plan an upgrade until genesis names an authority
// (`selfchaind genesis set-upgrade-authority`).
var DefaultAuthority = crypto.ModuleAddress("gov")

func DefaultParams() Params { return Params{Authority: DefaultAuthority.String()} }

func (p Params) Validate() error {
	if _, err := crypto.AddressFromBech32(p.Authority); err != nil {
		return fmt.Errorf("authority: %v", err)
	}
	return nil
}
