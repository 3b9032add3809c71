package crypto

import (
	"bytes"
	"crypto/rand"
	"fmt"

	"github.com/cloudflare/circl/sign/slhdsa"
)

// KeyTypeSLHDSA is the scheme name of SLH-DSA-SHA2-128s keys (FIPS 205, the
// standardised SPHINCS+): small keys, large signatures, slow signing. Its
// security rests on SHA-256 alone, which makes it the conservative choice
// for keys that sign rarely and must last.
const KeyTypeSLHDSA = "slhdsa"

const (
	slhID          = slhdsa.SHA2_128s
	slhPubKeySize  = 32
	slhSigSize     = 7856
	slhKeygenBytes = 48 // skSeed ‖ skPrf ‖ pkSeed, n = 16 bytes each
	slhKeygenLabel = "selfchain/slhdsa/v1/keygen"
)

// slhdsaContext is the FIPS 205 context string of standalone slhdsa
// signatures (hybrid-slh uses its own).
var slhdsaContext = []byte("selfchain/slhdsa/v1")

func init() {
	if s := slhID.Scheme(); s.PublicKeySize() != slhPubKeySize || s.SignatureSize() != slhSigSize {
		panic("crypto: SLH-DSA-SHA2-128s sizes differ from the ones this package was written for")
	}
	RegisterScheme(KeyScheme{
		Name:       KeyTypeSLHDSA,
		PubKeySize: slhPubKeySize,
		SigSize:    slhSigSize,
		PubKeyFromBytes: func(b []byte) (PubKey, error) {
			p, err := newSLHPub(b)
			if err != nil {
				return nil, err
			}
			return slhdsaPubKey{p}, nil
		},
		// The private key is stored as a 32-byte seed; loading it re-runs
		// keygen (one XMSS tree, tens of ms).
		PrivKeyFromBytes: slhdsaPrivKeyFromSeed,
		PrivKeyFromSeed:  slhdsaPrivKeyFromSeed,
		Generate:         generateFromSeed(slhdsaPrivKeyFromSeed),
		// Weight: verification ~0.28 ms against Ed25519's ~41 µs (it varies
		// a little with the signature). Signing: ~0.28 s.
		VerifyCostWeight: 700,
	})
}

type slhPub struct {
	raw []byte // slhPubKeySize bytes, owned
	pk  slhdsa.PublicKey
}

// newSLHPub copies b. Every 32-byte string is a valid key (PK.seed ‖ PK.root).
func newSLHPub(b []byte) (*slhPub, error) {
	if len(b) != slhPubKeySize {
		return nil, fmt.Errorf("%w: slhdsa public key must be %d bytes, got %d", ErrInvalidKey, slhPubKeySize, len(b))
	}
	p := &slhPub{raw: bytes.Clone(b), pk: slhdsa.PublicKey{ID: slhID}}
	if err := p.pk.UnmarshalBinary(p.raw); err != nil {
		return nil, fmt.Errorf("%w: slhdsa public key: %v", ErrInvalidKey, err)
	}
	return p, nil
}

func (p *slhPub) verify(msg, ctx, sig []byte) bool {
	if len(sig) != slhSigSize {
		return false
	}
	return slhdsa.Verify(&p.pk, slhdsa.NewMessage(msg), sig, ctx)
}

type slhPriv struct {
	seed [SeedSize]byte
	sk   slhdsa.PrivateKey
	pub  *slhPub
}

// newSLHPriv expands the seed to the 3n bytes of FIPS 205 keygen.
func newSLHPriv(seed []byte) (*slhPriv, error) {
	material, err := expandSeed(seed, slhKeygenLabel, slhKeygenBytes)
	if err != nil {
		return nil, err
	}
	defer clear(material)
	k, err := slhKeyFromMaterial(material)
	if err != nil {
		return nil, err
	}
	copy(k.seed[:], seed)
	return k, nil
}

// slhKeyFromMaterial is FIPS 205 slh_keygen_internal(skSeed, skPrf, pkSeed)
// for material = skSeed ‖ skPrf ‖ pkSeed (circl reads them in that order).
func slhKeyFromMaterial(material []byte) (*slhPriv, error) {
	pub, sk, err := slhdsa.GenerateKey(bytes.NewReader(material), slhID)
	if err != nil {
		return nil, err
	}
	raw, err := pub.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &slhPriv{sk: sk, pub: &slhPub{raw: raw, pk: pub}}, nil
}

// signTo writes a hedged (randomized, FIPS 205 default) signature into sig,
// which must be slhSigSize bytes.
func (k *slhPriv) signTo(sig, msg, ctx []byte) error {
	s, err := slhdsa.SignRandomized(&k.sk, rand.Reader, slhdsa.NewMessage(msg), ctx)
	if err != nil {
		return err
	}
	if len(s) != len(sig) {
		return fmt.Errorf("crypto: slhdsa signature is %d bytes, want %d", len(s), len(sig))
	}
	copy(sig, s)
	return nil
}

func (k *slhPriv) public() pqPublic { return k.pub }
func (k *slhPriv) pubBytes() []byte { return k.pub.raw }

type slhdsaPubKey struct{ c *slhPub }

func (k slhdsaPubKey) Type() string     { return KeyTypeSLHDSA }
func (k slhdsaPubKey) Bytes() []byte    { return bytes.Clone(k.c.raw) }
func (k slhdsaPubKey) Address() Address { return PubKeyAddress(KeyTypeSLHDSA, k.c.raw) }
func (k slhdsaPubKey) String() string   { return pubKeyString(KeyTypeSLHDSA, k.c.raw) }

func (k slhdsaPubKey) VerifySignature(msg, sig []byte) bool {
	return k.c.verify(msg, slhdsaContext, sig)
}

func (k slhdsaPubKey) Equals(other PubKey) bool {
	return other != nil && other.Type() == KeyTypeSLHDSA && bytes.Equal(k.c.raw, other.Bytes())
}

type slhdsaPrivKey struct{ c *slhPriv }

func slhdsaPrivKeyFromSeed(seed []byte) (PrivKey, error) {
	if err := checkSeed(KeyTypeSLHDSA, seed); err != nil {
		return nil, err
	}
	c, err := newSLHPriv(seed)
	if err != nil {
		return nil, err
	}
	return slhdsaPrivKey{c}, nil
}

func (k slhdsaPrivKey) Type() string   { return KeyTypeSLHDSA }
func (k slhdsaPrivKey) Bytes() []byte  { return bytes.Clone(k.c.seed[:]) }
func (k slhdsaPrivKey) PubKey() PubKey { return slhdsaPubKey{k.c.pub} }

func (k slhdsaPrivKey) Sign(msg []byte) ([]byte, error) {
	sig := make([]byte, slhSigSize)
	if err := k.c.signTo(sig, msg, slhdsaContext); err != nil {
		return nil, err
	}
	return sig, nil
}

// String and GoString keep key material out of logs and %v/%#v output.
func (k slhdsaPrivKey) String() string   { return "slhdsa private key (redacted)" }
func (k slhdsaPrivKey) GoString() string { return k.String() }
