package bank

import (
	"errors"
	"fmt"

	"github.com/selfchain/selfchain/types"
)

// Bounds on metadata strings (state is bounded everywhere) and on the exponent:
// 10^77 is the largest power of ten below 2^256, so a display unit is always representable.
const (
	MaxDisplayLen     = 128
	MaxDescriptionLen = 512
	MaxExponent       = 77
)

// BaseDenom is the chain's native denomination.
const BaseDenom = "uself"

// DefaultMetadata describes the native token: 1 SELF = 10^6 uself.
func DefaultMetadata() Metadata {
	return Metadata{Base: BaseDenom, Display: "SELF", Exponent: 6, Description: "The native token of SELF Chain."}
}

// Validate checks one denomination's metadata; errors name the field.
func (m Metadata) Validate() error {
	if err := types.ValidateDenom(m.Base); err != nil {
		return fmt.Errorf("base: %w", err)
	}
	switch {
	case m.Display == "":
		return errors.New("display: must not be empty")
	case len(m.Display) > MaxDisplayLen:
		return fmt.Errorf("display: %d bytes, at most %d", len(m.Display), MaxDisplayLen)
	case m.Exponent > MaxExponent:
		return fmt.Errorf("exponent: %d, at most %d", m.Exponent, MaxExponent)
	case len(m.Description) > MaxDescriptionLen:
		return fmt.Errorf("description: %d bytes, at most %d", len(m.Description), MaxDescriptionLen)
	}
	return nil
}
