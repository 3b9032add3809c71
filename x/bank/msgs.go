package bank

import (
	"fmt"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// MaxMultiSendOutputs is the hard, state-independent cap on a MsgMultiSend's
// outputs; the max_multi_send_outputs param (checked at execution) may be lower.
const MaxMultiSendOutputs = 256

var (
	_ runtime.Msg = (*MsgSend)(nil)
	_ runtime.Msg = (*MsgMultiSend)(nil)
)

func (m *MsgSend) Signer() string { return m.FromAddress }

// ValidateBasic checks what needs no state. Sending to oneself is allowed (as in the SDK).
func (m *MsgSend) ValidateBasic() error {
	if err := validateAddress("from_address", m.FromAddress); err != nil {
		return err
	}
	if err := validateAddress("to_address", m.ToAddress); err != nil {
		return err
	}
	return validateCoins("amount", m.Amount)
}

func (m *MsgMultiSend) Signer() string { return m.Input.Address }

// ValidateBasic checks the one input, 1..MaxMultiSendOutputs outputs and that
// the outputs add up exactly to the input.
func (m *MsgMultiSend) ValidateBasic() error {
	if err := validateAddress("input.address", m.Input.Address); err != nil {
		return err
	}
	if err := validateCoins("input.coins", m.Input.Coins); err != nil {
		return err
	}
	if err := validateOutputCount(len(m.Outputs), MaxMultiSendOutputs); err != nil {
		return err
	}
	for i := range m.Outputs {
		o := &m.Outputs[i]
		// Field names are formatted only on failure: this loop runs for every output.
		if _, err := crypto.AddressFromBech32(o.Address); err != nil {
			return addressError(fmt.Sprintf("outputs[%d].address", i), err)
		}
		if len(o.Coins) == 0 || o.Coins.Validate() != nil {
			return validateCoins(fmt.Sprintf("outputs[%d].coins", i), o.Coins)
		}
	}
	return checkMultiSendSums(m.Input.Coins, m.Outputs)
}

func validateOutputCount(n, limit int) error {
	if n == 0 {
		return runtime.ErrInvalidRequest.Wrap("outputs: at least one output is required")
	}
	if n > limit {
		return ErrTooManyOutputs.Wrapf("outputs: %d outputs, at most %d", n, limit)
	}
	return nil
}

// checkMultiSendSums requires the outputs to sum exactly to the input; the sum is
// overflow-checked, so outputs near 2^256 cannot wrap around to match.
func checkMultiSendSums(in types.Coins, outs []Output) error {
	var sum types.Coins
	for i := range outs {
		var err error
		if sum, err = sum.Add(outs[i].Coins); err != nil {
			return runtime.ErrInvalidCoins.Wrapf("outputs: sum overflows at outputs[%d]: %v", i, err)
		}
	}
	if !coinsEqual(sum, in) {
		return ErrInputOutputMismatch.Wrapf("input.coins %s, outputs sum to %s", in, sum)
	}
	return nil
}

func coinsEqual(a, b types.Coins) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Denom != b[i].Denom || !a[i].Amount.Equal(b[i].Amount) {
			return false
		}
	}
	return true
}

func validateAddress(field, s string) error {
	_, err := runtime.ParseAddress(field, s)
	return err
}

// addressError names the field of an address that failed to decode.
var addressError = runtime.AddressError

func validateCoins(field string, cs types.Coins) error {
	if len(cs) == 0 {
		return runtime.ErrInvalidCoins.Wrapf("%s: empty", field)
	}
	if err := cs.Validate(); err != nil {
		return runtime.ErrInvalidCoins.Wrapf("%s: %v", field, err)
	}
	return nil
}
