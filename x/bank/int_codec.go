package bank

import (
	"errors"

	"github.com/selfchain/selfchain/types"
)

// intValue stores a types.Int as its minimal big-endian bytes: compact (a typical
// balance takes 5-9 bytes, not 32 or its decimal string) and one encoding per value.
// Zero is one 0x00 byte, though the keeper deletes zero entries instead of storing them.
type intValue struct{}

func (intValue) Encode(v types.Int) ([]byte, error) {
	b := v.Bytes32()
	i := 0
	for i < 31 && b[i] == 0 {
		i++
	}
	return append([]byte(nil), b[i:]...), nil
}

var errIntEncoding = errors.New("stored amount is not minimal big-endian bytes of at most 32")

func (intValue) Decode(bz []byte) (types.Int, error) {
	// Reject non-minimal forms so a corrupted store cannot hide behind an equal value.
	if len(bz) == 0 || len(bz) > 32 || (len(bz) > 1 && bz[0] == 0) {
		return types.Int{}, errIntEncoding
	}
	var b [32]byte
	copy(b[32-len(bz):], bz)
	return types.IntFromBytes32(b), nil
}

func (intValue) EncodeJSON(v types.Int) ([]byte, error) { return v.MarshalJSON() }

func (intValue) DecodeJSON(bz []byte) (types.Int, error) {
	var v types.Int
	err := v.UnmarshalJSON(bz)
	return v, err
}

func (intValue) Stringify(v types.Int) string { return v.String() }
func (intValue) ValueType() string            { return "selfchain/uint256-be" }
