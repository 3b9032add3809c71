package crypto

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"

	bip39 "github.com/cosmos/go-bip39"
)

// Derivation constants. Changing any of them changes every derived key.
const (
	mnemonicEntropyBits = 256
	derivationSalt      = "selfchain-key-derivation"
	derivationInfoBase  = "selfchain/"
)

// ErrInvalidMnemonic is wrapped by every mnemonic validation error.
var ErrInvalidMnemonic = errors.New("invalid mnemonic")

// NewMnemonic returns a fresh 24-word BIP-39 (English) mnemonic.
func NewMnemonic() (string, error) {
	entropy, err := bip39.NewEntropy(mnemonicEntropyBits)
	if err != nil {
		return "", err
	}
	return bip39.NewMnemonic(entropy)
}

// normalizeMnemonic collapses whitespace so that a pasted mnemonic with
// stray spaces or newlines derives the same keys.
func normalizeMnemonic(m string) string {
	return strings.Join(strings.Fields(m), " ")
}

// ValidateMnemonic checks word count, wordlist membership and the BIP-39
// checksum. Errors name word positions, never the words, to keep secrets
// out of logs.
func ValidateMnemonic(m string) error {
	words := strings.Fields(m)
	switch len(words) {
	case 12, 15, 18, 21, 24:
	default:
		return fmt.Errorf("%w: %d words, want 12, 15, 18, 21 or 24", ErrInvalidMnemonic, len(words))
	}
	for i, w := range words {
		if _, ok := bip39.ReverseWordMap[w]; !ok {
			return fmt.Errorf("%w: word %d is not in the BIP-39 English wordlist", ErrInvalidMnemonic, i+1)
		}
	}
	if _, err := bip39.MnemonicToByteArray(strings.Join(words, " ")); err != nil {
		return fmt.Errorf("%w: bad checksum (a word is wrong or out of order)", ErrInvalidMnemonic)
	}
	return nil
}

// DeriveKey derives a keyType key from a BIP-39 mnemonic, an optional BIP-39
// passphrase and an account index:
//
//	seed    = BIP-39 seed(mnemonic, passphrase)
//	keySeed = HKDF-SHA256(ikm=seed, salt="selfchain-key-derivation",
//	                      info="selfchain/<keyType>/<index>", 32 bytes)
//	key     = scheme.PrivKeyFromSeed(keySeed)
//
// The key type is in info so one mnemonic gives independent keys per scheme.
// This is not BIP-32/SLIP-10: other wallets will not derive the same keys.
func DeriveKey(keyType, mnemonic, bip39Passphrase string, index uint32) (PrivKey, error) {
	s, err := LookupScheme(keyType)
	if err != nil {
		return nil, err
	}
	if err := ValidateMnemonic(mnemonic); err != nil {
		return nil, err
	}
	seed := bip39.NewSeed(normalizeMnemonic(mnemonic), bip39Passphrase)
	defer clear(seed)
	info := derivationInfoBase + keyType + "/" + strconv.FormatUint(uint64(index), 10)
	keySeed, err := hkdf.Key(sha256.New, seed, []byte(derivationSalt), info, SeedSize)
	if err != nil {
		return nil, err
	}
	defer clear(keySeed)
	return s.PrivKeyFromSeed(keySeed)
}
