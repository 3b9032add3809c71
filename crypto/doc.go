// Package crypto holds SELF Chain account keys and addresses.
//
// Key types are pluggable: each one is a KeyScheme registered by name, and a
// public key travels on the wire as {type, key bytes}. Adding a key type (for
// example a post-quantum one) means registering a new scheme; the wire
// format, the address derivation and the keyring file format stay the same.
//
// Only Ed25519 is registered today.
package crypto
