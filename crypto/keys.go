package crypto

import "fmt"

// PubKey is a public key of any registered key type.
type PubKey interface {
	// Type is the registered scheme name, e.g. "ed25519".
	Type() string
	// Bytes is the raw public key encoding of the scheme.
	Bytes() []byte
	// Address is PubKeyAddress(Type(), Bytes()).
	Address() Address
	// VerifySignature reports whether sig is a valid signature of msg.
	VerifySignature(msg, sig []byte) bool
	// Equals reports whether other has the same type and bytes.
	Equals(other PubKey) bool
}

// PrivKey is a private key of any registered key type.
type PrivKey interface {
	// Type is the registered scheme name, e.g. "ed25519".
	Type() string
	// Bytes is the raw private key material that PrivKeyFromBytes of the
	// same scheme accepts. Every scheme here stores its 32-byte seed (for
	// hybrids, the one seed both halves derive from), the smallest form
	// that stays stable.
	Bytes() []byte
	PubKey() PubKey
	Sign(msg []byte) ([]byte, error)
}

// DefaultKeyType is the key type `keys add` creates unless told otherwise:
// Ed25519 ‖ ML-DSA-65, secure while either scheme is (see docs/CRYPTO.md).
const DefaultKeyType = KeyTypeHybrid

// pubKeyString shows short keys whole and long ones abbreviated, so that
// post-quantum keys (kilobytes) do not flood logs.
func pubKeyString(keyType string, raw []byte) string {
	if len(raw) <= 64 {
		return fmt.Sprintf("%s:%x", keyType, raw)
	}
	return fmt.Sprintf("%s:%x…(%d bytes)", keyType, raw[:16], len(raw))
}

// AppendPubKeyBytes appends pub.Bytes() to dst without the copy Bytes makes for
// the key types that hold their encoding (Ed25519, hybrid): hot paths hash a
// signer's key into a stack buffer (the signature cache's key) once per tx.
func AppendPubKeyBytes(dst []byte, pub PubKey) []byte {
	switch k := pub.(type) {
	case ed25519PubKey:
		return append(dst, k.key...)
	case hybridPubKey:
		return append(dst, k.raw...)
	default:
		return append(dst, pub.Bytes()...)
	}
}
