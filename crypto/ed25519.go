package crypto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"github.com/oasisprotocol/curve25519-voi/curve"
)

// KeyTypeEd25519 is the scheme name of Ed25519 keys (RFC 8032).
const KeyTypeEd25519 = "ed25519"

func init() {
	RegisterScheme(KeyScheme{
		Name:             KeyTypeEd25519,
		PubKeySize:       ed25519.PublicKeySize,
		SigSize:          ed25519.SignatureSize,
		PubKeyFromBytes:  ed25519PubKeyFromBytes,
		PrivKeyFromBytes: ed25519PrivKeyFromSeed,
		// An Ed25519 private key is its 32-byte seed, so both are the same.
		PrivKeyFromSeed: ed25519PrivKeyFromSeed,
		Generate:        generateEd25519,
		// The reference for every other weight (~41 µs to decode and verify
		// on the 2-core reference machine).
		VerifyCostWeight: 100,
	})
}

type ed25519PubKey struct{ key ed25519.PublicKey }

func ed25519PubKeyFromBytes(b []byte) (PubKey, error) {
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: ed25519 public key must be %d bytes, got %d", ErrInvalidKey, ed25519.PublicKeySize, len(b))
	}
	if err := checkEd25519Order(b); err != nil {
		return nil, err
	}
	return ed25519PubKey{key: bytes.Clone(b)}, nil
}

// checkEd25519Order refuses a public key that is a point of small order. No
// private key stands behind it, and signatures that verify under it can be made
// without one (Go's ed25519.Verify accepts some; fuzzing found one), so an
// account or node key of that kind would be anyone's. libsodium refuses them too.
// Bytes that are not a curve point pass here and fail every verification.
func checkEd25519Order(b []byte) error {
	c, err := curve.NewCompressedEdwardsYFromBytes(b)
	if err != nil {
		return nil
	}
	var p curve.EdwardsPoint
	if _, err := p.SetCompressedY(c); err != nil {
		return nil
	}
	if p.IsSmallOrder() {
		return fmt.Errorf("%w: ed25519 public key is a small-order point, for which anyone can sign", ErrInvalidKey)
	}
	return nil
}

func (k ed25519PubKey) Type() string     { return KeyTypeEd25519 }
func (k ed25519PubKey) Bytes() []byte    { return bytes.Clone(k.key) }
func (k ed25519PubKey) Address() Address { return PubKeyAddress(KeyTypeEd25519, k.key) }
func (k ed25519PubKey) String() string   { return fmt.Sprintf("%s:%x", KeyTypeEd25519, []byte(k.key)) }

func (k ed25519PubKey) VerifySignature(msg, sig []byte) bool {
	// ed25519.Verify returns false (no panic) for a wrong signature length;
	// the key length is guaranteed by the constructor.
	return ed25519.Verify(k.key, msg, sig)
}

func (k ed25519PubKey) Equals(other PubKey) bool {
	return other != nil && other.Type() == KeyTypeEd25519 && bytes.Equal(k.key, other.Bytes())
}

type ed25519PrivKey struct{ key ed25519.PrivateKey }

func ed25519PrivKeyFromSeed(seed []byte) (PrivKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: ed25519 private key (seed) must be %d bytes, got %d", ErrInvalidKey, ed25519.SeedSize, len(seed))
	}
	return ed25519PrivKey{key: ed25519.NewKeyFromSeed(seed)}, nil
}

func generateEd25519() (PrivKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return ed25519PrivKey{key: priv}, nil
}

func (k ed25519PrivKey) Type() string  { return KeyTypeEd25519 }
func (k ed25519PrivKey) Bytes() []byte { return bytes.Clone(k.key.Seed()) }

func (k ed25519PrivKey) PubKey() PubKey {
	return ed25519PubKey{key: bytes.Clone(k.key[ed25519.SeedSize:])}
}

func (k ed25519PrivKey) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(k.key, msg), nil
}

// String and GoString keep key material out of logs and %v/%#v output.
func (k ed25519PrivKey) String() string   { return "ed25519 private key (redacted)" }
func (k ed25519PrivKey) GoString() string { return k.String() }
