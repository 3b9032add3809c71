package crypto

import (
	"bytes"
	"fmt"
	"sync/atomic"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// KeyTypeMLDSA65 is the scheme name of ML-DSA-65 keys (FIPS 204).
const KeyTypeMLDSA65 = "mldsa65"

// mldsa65Context is the FIPS 204 context string of standalone mldsa65
// signatures. Hybrids use their own, so signatures never cross schemes.
var mldsa65Context = []byte("selfchain/mldsa65/v1")

func init() {
	RegisterScheme(KeyScheme{
		Name:       KeyTypeMLDSA65,
		PubKeySize: mldsa65.PublicKeySize,
		SigSize:    mldsa65.SignatureSize,
		PubKeyFromBytes: func(b []byte) (PubKey, error) {
			if len(b) != mldsa65.PublicKeySize {
				return nil, fmt.Errorf("%w: mldsa65 public key must be %d bytes, got %d", ErrInvalidKey, mldsa65.PublicKeySize, len(b))
			}
			return mldsa65PubKey{newMLDSAPub(bytes.Clone(b))}, nil
		},
		// The private key is stored as its 32-byte FIPS 204 seed ξ.
		PrivKeyFromBytes: mldsa65PrivKeyFromSeed,
		PrivKeyFromSeed:  mldsa65PrivKeyFromSeed,
		Generate:         generateFromSeed(mldsa65PrivKeyFromSeed),
		// Weight: the ante decodes the key (expanding A, ~60 µs) and verifies
		// (~33 µs): ~91 µs against Ed25519's ~41 µs. Signing: ~0.23 ms.
		VerifyCostWeight: 230,
	})
}

// mldsaPub is an ML-DSA-65 public key parsed on first use. Parsing expands
// the matrix A (~30 KB, tens of µs): a key that is only decoded and checked
// never pays for it, one that verifies many times pays once.
type mldsaPub struct {
	raw    []byte // exactly PublicKeySize bytes, owned, never modified
	parsed atomic.Pointer[mldsa65.PublicKey]
}

func newMLDSAPub(raw []byte) *mldsaPub { return &mldsaPub{raw: raw} }

func (p *mldsaPub) key() *mldsa65.PublicKey {
	if pk := p.parsed.Load(); pk != nil {
		return pk
	}
	pk := new(mldsa65.PublicKey)
	pk.Unpack((*[mldsa65.PublicKeySize]byte)(p.raw))
	p.parsed.Store(pk) // a racing parse stores an identical key
	return pk
}

func (p *mldsaPub) verify(msg, ctx, sig []byte) bool {
	if len(sig) != mldsa65.SignatureSize {
		return false
	}
	return mldsa65.Verify(p.key(), msg, ctx, sig)
}

type mldsaPriv struct {
	seed [mldsa65.SeedSize]byte
	sk   *mldsa65.PrivateKey
	pub  *mldsaPub
}

func newMLDSAPriv(seed []byte) *mldsaPriv {
	k := &mldsaPriv{}
	copy(k.seed[:], seed)
	pk, sk := mldsa65.NewKeyFromSeed(&k.seed)
	k.sk = sk
	k.pub = newMLDSAPub(pk.Bytes())
	k.pub.parsed.Store(pk)
	return k
}

// signTo writes a hedged (randomized, FIPS 204 default) signature into sig,
// which must be SignatureSize bytes.
func (k *mldsaPriv) signTo(sig, msg, ctx []byte) error {
	return mldsa65.SignTo(k.sk, msg, ctx, true, sig)
}

func (k *mldsaPriv) public() pqPublic { return k.pub }
func (k *mldsaPriv) pubBytes() []byte { return k.pub.raw }

type mldsa65PubKey struct{ c *mldsaPub }

func (k mldsa65PubKey) Type() string     { return KeyTypeMLDSA65 }
func (k mldsa65PubKey) Bytes() []byte    { return bytes.Clone(k.c.raw) }
func (k mldsa65PubKey) Address() Address { return PubKeyAddress(KeyTypeMLDSA65, k.c.raw) }
func (k mldsa65PubKey) String() string   { return pubKeyString(KeyTypeMLDSA65, k.c.raw) }

func (k mldsa65PubKey) VerifySignature(msg, sig []byte) bool {
	return k.c.verify(msg, mldsa65Context, sig)
}

func (k mldsa65PubKey) Equals(other PubKey) bool {
	return other != nil && other.Type() == KeyTypeMLDSA65 && bytes.Equal(k.c.raw, other.Bytes())
}

type mldsa65PrivKey struct{ c *mldsaPriv }

func mldsa65PrivKeyFromSeed(seed []byte) (PrivKey, error) {
	if err := checkSeed(KeyTypeMLDSA65, seed); err != nil {
		return nil, err
	}
	return mldsa65PrivKey{newMLDSAPriv(seed)}, nil
}

func (k mldsa65PrivKey) Type() string   { return KeyTypeMLDSA65 }
func (k mldsa65PrivKey) Bytes() []byte  { return bytes.Clone(k.c.seed[:]) }
func (k mldsa65PrivKey) PubKey() PubKey { return mldsa65PubKey{k.c.pub} }

func (k mldsa65PrivKey) Sign(msg []byte) ([]byte, error) {
	sig := make([]byte, mldsa65.SignatureSize)
	if err := k.c.signTo(sig, msg, mldsa65Context); err != nil {
		return nil, err
	}
	return sig, nil
}

// String and GoString keep key material out of logs and %v/%#v output.
func (k mldsa65PrivKey) String() string   { return "mldsa65 private key (redacted)" }
func (k mldsa65PrivKey) GoString() string { return k.String() }
