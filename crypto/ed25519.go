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

// Reasons an Ed25519 public key is refused; each is also ErrInvalidKey.
var (
	// ErrSmallOrderKey: the key is a point of small order, or has a small-order
	// component (is not in the prime-order subgroup). No private key stands behind
	// a small-order point, and signatures that verify under it can be made without
	// one (Go's ed25519.Verify accepted an all-zero signature under the all-zero
	// key; CometBFT's ZIP-215 rules accept more).
	ErrSmallOrderKey = fmt.Errorf("%w: small-order ed25519 point", ErrInvalidKey)
	// ErrNonCanonicalKey: the 32 bytes are not the canonical encoding of a point
	// (y not reduced mod p, or a sign bit set for x = 0), so another encoding of the
	// same point exists and would give the same signer a second address.
	ErrNonCanonicalKey = fmt.Errorf("%w: non-canonical ed25519 point encoding", ErrInvalidKey)
	// ErrNotCurvePoint: the 32 bytes decode to no point of the curve.
	ErrNotCurvePoint = fmt.Errorf("%w: not an ed25519 curve point", ErrInvalidKey)
)

// decodeEd25519Point decodes a compressed Edwards point (32 bytes, checked by
// the caller) the way every verifier decodes it: non-canonical encodings are
// reduced, not refused. It fails only for bytes that are no curve point.
func decodeEd25519Point(b []byte) (*curve.CompressedEdwardsY, *curve.EdwardsPoint, error) {
	c, err := curve.NewCompressedEdwardsYFromBytes(b)
	if err != nil {
		return nil, nil, err
	}
	var p curve.EdwardsPoint
	if _, err := p.SetCompressedY(c); err != nil {
		return nil, nil, err
	}
	return c, &p, nil
}

// checkEd25519Order refuses a public key that is a point of small order. No
// private key stands behind it, and signatures that verify under it can be made
// without one (Go's ed25519.Verify accepts some; fuzzing found one), so an
// account or node key of that kind would be anyone's. libsodium refuses them too.
// Bytes that are not a curve point pass here and fail every verification.
func checkEd25519Order(b []byte) error {
	_, p, err := decodeEd25519Point(b)
	if err != nil {
		return nil
	}
	if p.IsSmallOrder() {
		return fmt.Errorf("%w: ed25519 public key is a small-order point, for which anyone can sign", ErrSmallOrderKey)
	}
	return nil
}

// CheckEd25519PubKeyStrict is the check of an Ed25519 key whose holder must be
// unique and must be able to sign, such as a validator's consensus key: 32
// bytes, the canonical encoding (ErrNonCanonicalKey), a curve point
// (ErrNotCurvePoint), not of small order and without a small-order component
// (ErrSmallOrderKey; the small-order test is checkEd25519Order's). A key made by
// any Ed25519 implementation (A = a·B) passes. A key with a small-order
// component has a private scalar, but the same scalar then signs for up to
// eight different keys (A + T), i.e. eight addresses, under CometBFT's
// cofactored (ZIP-215) verification. Costs a scalar multiplication, about one
// signature verification.
func CheckEd25519PubKeyStrict(b []byte) error {
	if len(b) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: ed25519 public key must be %d bytes, got %d", ErrInvalidKey, ed25519.PublicKeySize, len(b))
	}
	c, p, err := decodeEd25519Point(b)
	if err != nil {
		return fmt.Errorf("%w: %x", ErrNotCurvePoint, b)
	}
	if !c.IsCanonicalVartime() {
		return fmt.Errorf("%w: %x encodes the same point as other bytes; encode y reduced mod 2^255-19 (and no sign bit for x = 0)", ErrNonCanonicalKey, b)
	}
	if err := checkEd25519Order(b); err != nil {
		return err
	}
	if !p.IsTorsionFree() {
		return fmt.Errorf("%w: ed25519 public key has a small-order component (it is not in the prime-order subgroup); no Ed25519 key generator makes such a key", ErrSmallOrderKey)
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
