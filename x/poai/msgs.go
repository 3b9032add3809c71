package poai

import (
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/types"
)

// String bounds of messages.
const (
	MaxModelNameLen = 128
	ModelHashLen    = 32
	MaxMonikerLen   = 64
)

var (
	_ runtime.Msg = (*MsgCreateValidator)(nil)
	_ runtime.Msg = (*MsgEditValidator)(nil)
	_ runtime.Msg = (*MsgBond)(nil)
	_ runtime.Msg = (*MsgUnbond)(nil)
	_ runtime.Msg = (*MsgUnjail)(nil)
	_ runtime.Msg = (*MsgWithdrawRewards)(nil)
	_ runtime.Msg = (*MsgUpdateParams)(nil)
)

func (m *MsgCreateValidator) Signer() string { return m.OperatorAddress }
func (m *MsgEditValidator) Signer() string   { return m.OperatorAddress }
func (m *MsgBond) Signer() string            { return m.OperatorAddress }
func (m *MsgUnbond) Signer() string          { return m.OperatorAddress }
func (m *MsgUnjail) Signer() string          { return m.OperatorAddress }
func (m *MsgWithdrawRewards) Signer() string { return m.OperatorAddress }
func (m *MsgUpdateParams) Signer() string    { return m.Authority }

func (m *MsgCreateValidator) ValidateBasic() error {
	if err := validateAddress("operator_address", m.OperatorAddress); err != nil {
		return err
	}
	if _, err := ValidateConsensusKey(m.ConsensusKey); err != nil {
		return err
	}
	// Its signature is verified at execution, which knows the chain id.
	if err := checkKeyProofShape(m.ConsensusKey.Type, m.ConsensusKeyProof); err != nil {
		return err
	}
	if err := validateStakeCoin("self_stake", m.SelfStake); err != nil {
		return err
	}
	if err := validateModel(m.ModelName, m.ModelHash, true); err != nil {
		return err
	}
	if err := validateMoniker(m.Moniker); err != nil {
		return err
	}
	return validateCommission(m.Commission)
}

func (m *MsgEditValidator) ValidateBasic() error {
	if err := validateAddress("operator_address", m.OperatorAddress); err != nil {
		return err
	}
	if err := validateModel(m.ModelName, m.ModelHash, false); err != nil {
		return err
	}
	if err := validateMoniker(m.Moniker); err != nil {
		return err
	}
	return validateCommission(m.Commission)
}

func (m *MsgBond) ValidateBasic() error {
	if err := validateAddress("operator_address", m.OperatorAddress); err != nil {
		return err
	}
	return validateStakeCoin("amount", m.Amount)
}

func (m *MsgUnbond) ValidateBasic() error {
	if err := validateAddress("operator_address", m.OperatorAddress); err != nil {
		return err
	}
	return validateStakeCoin("amount", m.Amount)
}

func (m *MsgUnjail) ValidateBasic() error {
	return validateAddress("operator_address", m.OperatorAddress)
}

func (m *MsgWithdrawRewards) ValidateBasic() error {
	return validateAddress("operator_address", m.OperatorAddress)
}

func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	if err := m.Params.Validate(); err != nil {
		return ErrInvalidParams.Wrapf("params.%v", err)
	}
	return nil
}

func validateAddress(field, s string) error {
	_, err := runtime.ParseAddress(field, s)
	return err
}

// validateStakeCoin checks a stake amount: valid, positive, fits in uint64 (the
// module keeps stake as uint64 base units). The denom is checked against the
// bond_denom param at execution.
func validateStakeCoin(field string, c types.Coin) error {
	if err := c.Validate(); err != nil {
		return ErrInvalidAmount.Wrapf("%s: %v", field, err)
	}
	if c.Amount.IsZero() {
		return ErrInvalidAmount.Wrapf("%s: must be positive", field)
	}
	if !c.Amount.IsUint64() || c.Amount.Uint64() > 1<<62 {
		return ErrInvalidAmount.Wrapf("%s: %s is above the largest stake this module handles (2^62)", field, c)
	}
	return nil
}

func validateModel(name string, hash []byte, required bool) error {
	if len(name) > MaxModelNameLen {
		return ErrInvalidModel.Wrapf("model_name: %d bytes, at most %d", len(name), MaxModelNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return ErrInvalidModel.Wrap("model_name: control characters are not allowed")
		}
	}
	if required && name == "" {
		return ErrInvalidModel.Wrap("model_name: empty; name the AI model this validator runs (e.g. builtin-stat-v1)")
	}
	if (required || len(hash) > 0) && len(hash) != ModelHashLen {
		return ErrInvalidModel.Wrapf("model_hash: %d bytes, want the %d-byte sha256 of the model", len(hash), ModelHashLen)
	}
	return nil
}

func validateMoniker(s string) error {
	if len(s) > MaxMonikerLen {
		return ErrInvalidMoniker.Wrapf("moniker: %d bytes, at most %d", len(s), MaxMonikerLen)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return ErrInvalidMoniker.Wrap("moniker: control characters are not allowed")
		}
	}
	return nil
}

func validateCommission(c uint32) error {
	if c > PPM {
		return ErrInvalidCommission.Wrapf("commission: %d ppm is above %d (100%%)", c, PPM)
	}
	return nil
}
