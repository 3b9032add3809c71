package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// AddressLen is the length of every account and module address.
const AddressLen = 20

// Bech32Prefix is the default human-readable part of addresses. Chains
// that use another prefix call SetBech32Prefix at startup; code should read
// the active one with GetBech32Prefix.
const Bech32Prefix = "self"

// ErrInvalidAddress is wrapped by every address parsing error.
var ErrInvalidAddress = errors.New("invalid address")

var bech32Prefix atomic.Pointer[string]

func init() {
	p := Bech32Prefix
	bech32Prefix.Store(&p)
}

// prefixRe is stricter than BIP-173 on purpose: lowercase letters and digits
// only, and short enough that a 20-byte address fits the 90-char limit.
var prefixRe = regexp.MustCompile(`^[a-z][a-z0-9]{0,31}$`)

// SetBech32Prefix changes the address prefix for the whole process. Call it
// once at startup, before any address is encoded or parsed.
func SetBech32Prefix(prefix string) error {
	if !prefixRe.MatchString(prefix) {
		return fmt.Errorf("invalid bech32 prefix %q: want 1-32 lowercase letters and digits, starting with a letter", prefix)
	}
	bech32Prefix.Store(&prefix)
	return nil
}

// ValidBech32Prefix reports whether SetBech32Prefix would accept prefix.
func ValidBech32Prefix(prefix string) bool { return prefixRe.MatchString(prefix) }

// GetBech32Prefix returns the active address prefix (default "self").
func GetBech32Prefix() string { return *bech32Prefix.Load() }

// Address identifies an account. It is AddressLen bytes, shown as bech32.
type Address []byte

// PubKeyAddress is the address of a public key:
// sha256(keyType || 0x00 || pubKey)[:20]. Hashing the type tag in keeps the
// address spaces of different key schemes apart, so one key's bytes can never
// claim another scheme's account.
func PubKeyAddress(keyType string, pubKey []byte) Address {
	return taggedAddress(keyType, pubKey)
}

// ModuleAddress is the address of a module account (e.g. the fee
// collector): sha256("module" || 0x00 || name)[:20]. No key exists for it;
// "module" is reserved as a scheme name so it cannot collide with key addresses.
func ModuleAddress(moduleName string) Address {
	return taggedAddress(moduleTag, []byte(moduleName))
}

func taggedAddress(tag string, data []byte) Address {
	h := sha256.New()
	h.Write([]byte(tag))
	h.Write([]byte{0})
	h.Write(data)
	return Address(h.Sum(nil)[:AddressLen])
}

// AddressFromBytes copies b into an Address after checking its length.
func AddressFromBytes(b []byte) (Address, error) {
	if len(b) != AddressLen {
		return nil, fmt.Errorf("%w: wrong length: %d bytes (want %d)", ErrInvalidAddress, len(b), AddressLen)
	}
	return Address(bytes.Clone(b)), nil
}

// AddressFromBech32 parses a bech32 address with the active prefix.
// Upper-case input is accepted (BIP-173); mixed case is not.
func AddressFromBech32(s string) (Address, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidAddress)
	}
	if a, ok := addressFromBech32Fast(s, GetBech32Prefix()); ok {
		return a, nil
	}
	return addressFromBech32General(s)
}

// addressFromBech32General is the general decoder, whose errors say what is wrong.
func addressFromBech32General(s string) (Address, error) {
	hrp, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		var bad bech32.ErrInvalidChecksum
		if errors.As(err, &bad) {
			return nil, fmt.Errorf("%w %q: bad checksum", ErrInvalidAddress, s)
		}
		return nil, fmt.Errorf("%w %q: not bech32: %v", ErrInvalidAddress, s, err)
	}
	// Bech32m (BIP-350) checksums are valid bech32 strings of another
	// format; accepting both would give one address two spellings.
	if version != bech32.Version0 {
		return nil, fmt.Errorf("%w %q: bad checksum (bech32m, want bech32)", ErrInvalidAddress, s)
	}
	if want := GetBech32Prefix(); hrp != want {
		return nil, fmt.Errorf("%w %q: wrong prefix %q (want %q)", ErrInvalidAddress, s, hrp, want)
	}
	b, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return nil, fmt.Errorf("%w %q: bad data padding", ErrInvalidAddress, s)
	}
	if len(b) != AddressLen {
		return nil, fmt.Errorf("%w %q: wrong length: %d bytes (want %d)", ErrInvalidAddress, s, len(b), AddressLen)
	}
	return Address(b), nil
}

// String is the bech32 form with the active prefix; "" for an empty address.
func (a Address) String() string {
	if len(a) == 0 {
		return ""
	}
	conv, err := bech32.ConvertBits(a, 8, 5, true)
	if err != nil {
		panic(err) // cannot happen: 8-to-5 with padding accepts any input
	}
	s, err := bech32.Encode(GetBech32Prefix(), conv)
	if err != nil {
		panic(err) // cannot happen: ConvertBits output is always 5-bit
	}
	return s
}

// Bytes returns the raw address bytes.
func (a Address) Bytes() []byte { return []byte(a) }

// Equals reports whether both addresses have the same bytes.
func (a Address) Equals(other Address) bool { return bytes.Equal(a, other) }

// Empty reports whether the address has no bytes.
func (a Address) Empty() bool { return len(a) == 0 }

// MarshalJSON encodes the address as its bech32 string ("" when empty).
func (a Address) MarshalJSON() ([]byte, error) {
	return json.Marshal(a.String())
}

// UnmarshalJSON accepts a bech32 string; "" gives an empty address and
// null leaves the address unchanged, as encoding/json does for other types.
func (a *Address) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("%w: want a JSON string: %v", ErrInvalidAddress, err)
	}
	if s == "" {
		*a = nil
		return nil
	}
	addr, err := AddressFromBech32(s)
	if err != nil {
		return err
	}
	*a = addr
	return nil
}
