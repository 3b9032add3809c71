package runtime

import (
	"strings"

	"github.com/selfchain/selfchain/crypto"
)

// ParseAddress decodes the bech32 address in a message or request field; a bad one
// is ErrInvalidAddress naming the field (AddressError).
func ParseAddress(field, s string) (crypto.Address, error) {
	a, err := crypto.AddressFromBech32(s)
	if err != nil {
		return nil, AddressError(field, err)
	}
	return a, nil
}

// AddressError is ErrInvalidAddress naming field, for err from decoding its address.
// The crypto error already says "invalid address", which the registered error
// appends again, so that prefix is dropped.
func AddressError(field string, err error) error {
	reason := strings.TrimLeft(strings.TrimPrefix(err.Error(), crypto.ErrInvalidAddress.Error()), ": ")
	return ErrInvalidAddress.Wrapf("%s: %s", field, reason)
}
