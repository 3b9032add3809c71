package upgrade

import (
	"regexp"

	"github.com/selfchain/selfchain/app/runtime"
)

var (
	_ runtime.Msg = (*MsgSoftwareUpgrade)(nil)
	_ runtime.Msg = (*MsgCancelUpgrade)(nil)
)

func (m *MsgSoftwareUpgrade) Signer() string { return m.Authority }
func (m *MsgCancelUpgrade) Signer() string   { return m.Authority }

// Bounds of a plan. A name is a handler's key in the binary and a directory name
// under Cosmovisor's upgrades/, so it is short and path-safe.
const (
	MaxNameLen = 64
	MaxInfoLen = 8 << 10
)

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidateBasic checks the plan's own fields; the height against the chain and the
// name against applied plans are the keeper's.
func (p Plan) ValidateBasic() error {
	switch {
	case p.Name == "":
		return ErrInvalidPlan.Wrap("name: empty (the upgrade handler's name in the new binary, e.g. v2)")
	case len(p.Name) > MaxNameLen:
		return ErrInvalidPlan.Wrapf("name: %d bytes, at most %d", len(p.Name), MaxNameLen)
	case !nameRe.MatchString(p.Name):
		return ErrInvalidPlan.Wrapf("name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", p.Name)
	case p.Height <= 0:
		return ErrInvalidPlan.Wrapf("height: %d, must be a positive block height", p.Height)
	case len(p.Info) > MaxInfoLen:
		return ErrInfoTooLarge.Wrapf("info: %d bytes, at most %d (link to a larger document instead)", len(p.Info), MaxInfoLen)
	}
	return nil
}

func (m *MsgSoftwareUpgrade) ValidateBasic() error {
	if _, err := runtime.ParseAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Plan.ValidateBasic()
}

func (m *MsgCancelUpgrade) ValidateBasic() error {
	_, err := runtime.ParseAddress("authority", m.Authority)
	return err
}
