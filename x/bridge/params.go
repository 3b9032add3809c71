package bridge

import (
	"fmt"

	"github.com/selfchain/selfchain/crypto"
)

// DefaultAuthority is the module address of a governance module that does not exist
// yet: no one can recover clients until genesis names an authority.
var DefaultAuthority = crypto.ModuleAddress("gov")

func DefaultParams() Params {
	return Params{Authority: DefaultAuthority.String(), DefaultTimeoutSecs: 600, MaxValidators: 100}
}

func (p Params) Validate() error {
	if _, err := crypto.AddressFromBech32(p.Authority); err != nil {
		return fmt.Errorf("authority: %v", err)
	}
	if p.DefaultTimeoutSecs == 0 || p.DefaultTimeoutSecs > uint64(MaxTimeoutDelta.Seconds()) {
		return fmt.Errorf("default_timeout_secs: %d is not in 1..%d", p.DefaultTimeoutSecs, uint64(MaxTimeoutDelta.Seconds()))
	}
	if p.MaxValidators == 0 || p.MaxValidators > MaxValidatorsCap {
		return fmt.Errorf("max_validators: %d is not in 1..%d", p.MaxValidators, MaxValidatorsCap)
	}
	return nil
}
