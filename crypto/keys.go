package crypto

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
	// same scheme accepts (for ed25519: the 32-byte seed).
	Bytes() []byte
	PubKey() PubKey
	Sign(msg []byte) ([]byte, error)
}
