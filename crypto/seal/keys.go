package seal

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/cloudflare/circl/dh/x25519"
	"github.com/cloudflare/circl/kem/xwing"
)

const (
	// PublicKeySize is the length of PublicKey.Bytes: the X-Wing encoding,
	// ML-KEM-768 encapsulation key (1184) ‖ X25519 public key (32).
	PublicKeySize = xwing.PublicKeySize
	// SeedSize is the length of a private key: X-Wing keys are a 32-byte
	// seed expanded with SHAKE256.
	SeedSize = xwing.SeedSize
	// KeyIDSize is the length of the binary key id carried in envelopes.
	KeyIDSize = 8
)

// PublicKey is a recipient's X-Wing (X25519 + ML-KEM-768) public key.
type PublicKey struct {
	k    xwing.PublicKey
	raw  [PublicKeySize]byte
	hash [sha256.Size]byte // SHA-256(raw): key id source and KDF input
}

// PrivateKey is the matching private key. It is fully determined by its
// 32-byte seed.
type PrivateKey struct {
	seed [SeedSize]byte
	k    *xwing.PrivateKey
	pub  *PublicKey
}

// GenerateKey makes a fresh key pair from rand (crypto/rand if nil).
func GenerateKey(rnd io.Reader) (*PrivateKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var seed [SeedSize]byte
	if _, err := io.ReadFull(rnd, seed[:]); err != nil {
		return nil, fmt.Errorf("seal: reading randomness: %w", err)
	}
	return NewKeyFromSeed(seed), nil
}

// NewKeyFromSeed derives a key pair deterministically (X-Wing DeriveKeyPair),
// so a keyring can recreate it from an account's key material. The seed must
// be secret and uniformly random; derive it with a dedicated label, never
// reuse another key's bytes as is.
func NewKeyFromSeed(seed [SeedSize]byte) *PrivateKey {
	sk, pk := xwing.DeriveKeyPair(seed[:])
	return &PrivateKey{seed: seed, k: sk, pub: newPublicKey(pk)}
}

func newPublicKey(pk *xwing.PublicKey) *PublicKey {
	p := &PublicKey{k: *pk}
	pk.Pack(p.raw[:])
	p.hash = sha256.Sum256(p.raw[:])
	return p
}

// ParsePrivateKey is the inverse of PrivateKey.Bytes.
func ParsePrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) != SeedSize {
		return nil, fmt.Errorf("%w: private key is %d bytes, want %d", ErrInvalidKey, len(b), SeedSize)
	}
	return NewKeyFromSeed([SeedSize]byte(b)), nil
}

// Bytes returns the 32-byte seed (X-Wing's private key format). Secret.
func (k *PrivateKey) Bytes() []byte { return bytes.Clone(k.seed[:]) }

// Public returns the public key.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// ParsePublicKey is the inverse of PublicKey.Bytes. It rejects encodings
// that fail ML-KEM's encapsulation key check (FIPS 203, 7.2), and an X25519
// half that is a low-order point: every sender's X25519 secret would be
// all zeros, silently leaving only the ML-KEM half (X-Wing itself does not
// check this).
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, fmt.Errorf("%w: public key is %d bytes, want %d", ErrInvalidKey, len(b), PublicKeySize)
	}
	var pk xwing.PublicKey
	if err := pk.Unpack(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	var point, scalar, shared x25519.Key
	copy(point[:], b[PublicKeySize-x25519.Size:])
	scalar[0] = 1 // any scalar: clamping makes it a multiple of 8
	if !x25519.Shared(&shared, &scalar, &point) {
		return nil, fmt.Errorf("%w: X25519 half is a low-order point", ErrInvalidKey)
	}
	return newPublicKey(&pk), nil
}

// Bytes returns the PublicKeySize-byte X-Wing encoding.
func (p *PublicKey) Bytes() []byte { return bytes.Clone(p.raw[:]) }

// Equal reports whether p and q are the same key.
func (p *PublicKey) Equal(q *PublicKey) bool { return q != nil && p.raw == q.raw }

// ID is the short key id, hex of the first 8 bytes of SHA-256(Bytes()).
// Envelopes carry it so a holder of many keys knows which one to use. It
// names a key; it does not authenticate one (the KDF binds the full key).
func (p *PublicKey) ID() string { return hex.EncodeToString(p.hash[:KeyIDSize]) }

func (p *PublicKey) keyID() (id [KeyIDSize]byte) {
	copy(id[:], p.hash[:KeyIDSize])
	return id
}
