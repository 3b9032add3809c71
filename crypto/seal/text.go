package seal

import (
	"fmt"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// PublicKeyPrefix is the bech32 human-readable part of public keys in text.
const PublicKeyPrefix = "selfpub"

// maxPublicKeyText bounds the input to ParsePublicKeyString before decoding:
// "selfpub" + "1" + 1946 data characters + 6 checksum characters = 1960.
const maxPublicKeyText = 2048

// String returns the text form: bech32m with prefix "selfpub" (about 1960
// characters). The same checksummed alphabet as addresses, so a mistyped or
// clipped key is rejected instead of encrypting to a wrong key. Keys this
// long are past BIP-173's 90-character length; the 30-bit checksum still
// catches random errors with probability 1 - 2^-30.
func (p *PublicKey) String() string {
	data, err := bech32.ConvertBits(p.raw[:], 8, 5, true)
	if err != nil {
		panic(err) // cannot happen: 8-to-5 with padding always succeeds
	}
	s, err := bech32.EncodeM(PublicKeyPrefix, data)
	if err != nil {
		panic(err) // cannot happen: fixed valid prefix and 5-bit data
	}
	return s
}

// ParsePublicKeyString parses the String form.
func ParsePublicKeyString(s string) (*PublicKey, error) {
	if len(s) > maxPublicKeyText {
		return nil, fmt.Errorf("%w: text key is %d characters, too long", ErrInvalidKey, len(s))
	}
	hrp, data, version, err := bech32.DecodeNoLimitWithVersion(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if hrp != PublicKeyPrefix {
		return nil, fmt.Errorf("%w: prefix %q, want %q", ErrInvalidKey, hrp, PublicKeyPrefix)
	}
	if version != bech32.VersionM {
		return nil, fmt.Errorf("%w: bech32 checksum, want bech32m", ErrInvalidKey)
	}
	raw, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return ParsePublicKey(raw)
}
