// Package crypto holds SELF Chain account keys and addresses.
//
// Key types are pluggable: each one is a KeyScheme registered by name, and a
// public key travels on the wire as {type, key bytes}. Adding a key type (for
// example a post-quantum one) means registering a new scheme; the wire
// format, the address derivation and the keyring file format stay the same.
//
// Registered: ed25519, mldsa65 (ML-DSA-65, FIPS 204), slhdsa
// (SLH-DSA-SHA2-128s, FIPS 205), and the hybrids hybrid (Ed25519 ‖ ML-DSA-65,
// DefaultKeyType) and hybrid-slh (Ed25519 ‖ SLH-DSA). See docs/CRYPTO.md.
package crypto
