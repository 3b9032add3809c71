// Package types holds the primitives every module shares: Int amounts and Coins.
package types

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/holiman/uint256"
)

// MaxIntDigits bounds the decimal length an Int may be decoded from (2^256 has 78 digits),
// so a hostile amount string costs nothing to reject.
const MaxIntDigits = 78

var (
	ErrIntOverflow = errors.New("amount overflows 256 bits")
	ErrIntNegative = errors.New("amount would be negative")
)

// Int is a non-negative 256-bit integer used for token amounts. Its zero value is 0.
// Arithmetic is checked: it returns an error instead of wrapping.
type Int struct{ v uint256.Int }

func NewInt(n uint64) Int { var i Int; i.v.SetUint64(n); return i }

// ParseInt parses a base-10 amount. Leading '+' or '-', spaces, hex and
// leading zeros on non-zero numbers are rejected so each amount has one encoding.
func ParseInt(s string) (Int, error) {
	var i Int
	if s == "" {
		return i, errors.New("empty amount")
	}
	if len(s) > MaxIntDigits {
		return i, ErrIntOverflow
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			if c == '-' {
				return i, fmt.Errorf("invalid amount %q: negative amounts are not allowed", s)
			}
			return i, fmt.Errorf("invalid amount %q: want a base-10 unsigned integer", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return i, fmt.Errorf("invalid amount %q: leading zeros", s)
	}
	if err := i.v.SetFromDecimal(s); err != nil {
		return i, ErrIntOverflow
	}
	return i, nil
}

func (i Int) IsZero() bool          { return i.v.IsZero() }
func (i Int) Cmp(o Int) int         { return i.v.Cmp(&o.v) }
func (i Int) Equal(o Int) bool      { return i.v.Eq(&o.v) }
func (i Int) LT(o Int) bool         { return i.v.Lt(&o.v) }
func (i Int) GTE(o Int) bool        { return !i.v.Lt(&o.v) }
func (i Int) String() string        { return i.v.Dec() }
func (i Int) IsUint64() bool        { return i.v.IsUint64() }
func (i Int) Uint64() uint64        { return i.v.Uint64() }
func (i Int) Bytes32() [32]byte     { return i.v.Bytes32() }
func IntFromBytes32(b [32]byte) Int { var i Int; i.v.SetBytes32(b[:]); return i }

// Add returns i+o or ErrIntOverflow.
func (i Int) Add(o Int) (Int, error) {
	var r Int
	if _, overflow := r.v.AddOverflow(&i.v, &o.v); overflow {
		return Int{}, ErrIntOverflow
	}
	return r, nil
}

// Sub returns i-o or ErrIntNegative.
func (i Int) Sub(o Int) (Int, error) {
	var r Int
	if _, underflow := r.v.SubOverflow(&i.v, &o.v); underflow {
		return Int{}, ErrIntNegative
	}
	return r, nil
}

// MulUint64 returns i*n or ErrIntOverflow.
func (i Int) MulUint64(n uint64) (Int, error) {
	var r, m Int
	m.v.SetUint64(n)
	if _, overflow := r.v.MulOverflow(&i.v, &m.v); overflow {
		return Int{}, ErrIntOverflow
	}
	return r, nil
}

// --- gogoproto customtype: the wire form is the decimal string ---

func (i Int) Marshal() ([]byte, error) { return []byte(i.v.Dec()), nil }

func (i *Int) MarshalTo(data []byte) (int, error) {
	s := i.v.Dec()
	if len(data) < len(s) {
		return 0, errors.New("int: buffer too small")
	}
	return copy(data, s), nil
}

func (i *Int) Unmarshal(data []byte) error {
	if len(data) == 0 { // proto3 omits zero-valued fields; an empty string decodes to zero
		i.v.Clear()
		return nil
	}
	v, err := ParseInt(string(data))
	if err != nil {
		return err
	}
	*i = v
	return nil
}

func (i *Int) Size() int { return len(i.v.Dec()) }

func (i Int) MarshalJSON() ([]byte, error) { return json.Marshal(i.v.Dec()) }

func (i *Int) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("amount must be a JSON string of digits: %w", err)
	}
	v, err := ParseInt(s)
	if err != nil {
		return err
	}
	*i = v
	return nil
}
