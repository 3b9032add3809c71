package crypto

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// SeedSize is the length of the seed passed to KeyScheme.PrivKeyFromSeed.
const SeedSize = 32

// KeyScheme describes one key type. Registering a scheme is all a new key
// type needs to be usable for signing, addresses and the keyring.
// Constructors must copy their input: callers wipe key buffers afterwards.
type KeyScheme struct {
	// Name is the type tag that travels with every key and is hashed into
	// addresses, so it must never change once keys exist.
	Name string
	// PubKeySize and SigSize are exact sizes in bytes; 0 means variable.
	PubKeySize, SigSize int

	PubKeyFromBytes  func([]byte) (PubKey, error)
	PrivKeyFromBytes func([]byte) (PrivKey, error)
	// PrivKeyFromSeed deterministically derives a key from SeedSize bytes;
	// mnemonic derivation relies on it.
	PrivKeyFromSeed func(seed []byte) (PrivKey, error)
	Generate        func() (PrivKey, error)

	// VerifyCostWeight is the gas weight of one signature verification
	// relative to Ed25519 = 100, measured (docs/CRYPTO.md). The ante charges
	// VerifyGas(params.SigVerifyCost). Must be > 0: a forgotten weight would
	// make verification free.
	VerifyCostWeight uint64
}

// VerifyGas is the gas of one verification under this scheme:
// sigVerifyCost × VerifyCostWeight / 100, saturating instead of overflowing.
func (s KeyScheme) VerifyGas(sigVerifyCost uint64) uint64 {
	hi, lo := bits.Mul64(sigVerifyCost, s.VerifyCostWeight)
	if hi >= 100 { // the quotient would not fit in 64 bits
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi, lo, 100)
	return q
}

var (
	// ErrUnknownKeyType is wrapped by errors about unregistered key types.
	ErrUnknownKeyType = errors.New("unknown key type")
	// ErrInvalidKey is wrapped by errors about malformed key bytes.
	ErrInvalidKey = errors.New("invalid key")
)

// schemeNameRe keeps names printable and free of the 0x00 byte that
// separates the type tag from the key in the address preimage.
var schemeNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// moduleTag is the address tag of module accounts (see ModuleAddress). A key
// scheme with the same name could collide with module addresses.
const moduleTag = "module"

var (
	schemesMu sync.RWMutex
	schemes   = map[string]KeyScheme{}
)

// RegisterScheme adds a key type. It is meant for init functions and panics
// on a duplicate or incomplete scheme, since either is a programming error.
func RegisterScheme(s KeyScheme) {
	switch {
	case !schemeNameRe.MatchString(s.Name):
		panic(fmt.Sprintf("crypto: invalid key scheme name %q (want %s)", s.Name, schemeNameRe))
	case s.Name == moduleTag:
		panic(fmt.Sprintf("crypto: key scheme name %q is reserved for module addresses", s.Name))
	case s.PubKeySize < 0 || s.SigSize < 0:
		panic(fmt.Sprintf("crypto: key scheme %q has negative sizes", s.Name))
	case s.PubKeyFromBytes == nil || s.PrivKeyFromBytes == nil || s.PrivKeyFromSeed == nil || s.Generate == nil:
		panic(fmt.Sprintf("crypto: key scheme %q is missing a constructor", s.Name))
	case s.VerifyCostWeight == 0:
		panic(fmt.Sprintf("crypto: key scheme %q has no VerifyCostWeight", s.Name))
	}
	schemesMu.Lock()
	defer schemesMu.Unlock()
	if _, dup := schemes[s.Name]; dup {
		panic(fmt.Sprintf("crypto: key scheme %q registered twice", s.Name))
	}
	schemes[s.Name] = s
}

// Scheme returns the registered scheme called name.
func Scheme(name string) (KeyScheme, bool) {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	s, ok := schemes[name]
	return s, ok
}

// Schemes returns the names of all registered schemes, sorted.
func Schemes() []string {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	names := make([]string, 0, len(schemes))
	for n := range schemes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupScheme is Scheme with an error that lists the known types.
func LookupScheme(keyType string) (KeyScheme, error) {
	if s, ok := Scheme(keyType); ok {
		return s, nil
	}
	return KeyScheme{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownKeyType, keyType, strings.Join(Schemes(), ", "))
}

// PubKeyFromTyped decodes a public key from its wire form {type, key}.
func PubKeyFromTyped(keyType string, key []byte) (PubKey, error) {
	s, err := LookupScheme(keyType)
	if err != nil {
		return nil, err
	}
	if s.PubKeySize > 0 && len(key) != s.PubKeySize {
		return nil, fmt.Errorf("%w: %s public key must be %d bytes, got %d", ErrInvalidKey, keyType, s.PubKeySize, len(key))
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty %s public key", ErrInvalidKey, keyType)
	}
	return s.PubKeyFromBytes(key)
}

// PrivKeyFromTyped decodes a private key stored as {type, key}.
func PrivKeyFromTyped(keyType string, key []byte) (PrivKey, error) {
	s, err := LookupScheme(keyType)
	if err != nil {
		return nil, err
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty %s private key", ErrInvalidKey, keyType)
	}
	return s.PrivKeyFromBytes(key)
}

// GenerateKey creates a new random key of keyType.
func GenerateKey(keyType string) (PrivKey, error) {
	s, err := LookupScheme(keyType)
	if err != nil {
		return nil, err
	}
	return s.Generate()
}
