package keyring

import (
	"crypto/hkdf"
	"crypto/sha256"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/seal"
)

// sealKeyLabel separates the encryption key from every signing use of the same secret.
const sealKeyLabel = "selfchain/seal/v1 key"

// sealKeyFor derives a key's X25519+ML-KEM-768 encryption key from its private key
// material, so every account key (generated, recovered or imported) has one, and
// the same account always has the same encryption key.
func sealKeyFor(priv crypto.PrivKey) (*seal.PrivateKey, error) {
	okm, err := hkdf.Key(sha256.New, priv.Bytes(), []byte(priv.Type()), sealKeyLabel, seal.SeedSize)
	if err != nil {
		return nil, err
	}
	var seed [seal.SeedSize]byte
	copy(seed[:], okm)
	return seal.NewKeyFromSeed(seed), nil
}

// SealKey returns the encryption key of a stored key (unlocking it if the backend encrypts).
func (k *keyring) SealKey(nameOrAddress string) (*seal.PrivateKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	kf, rec, err := k.resolve(nameOrAddress)
	if err != nil {
		return nil, err
	}
	priv, err := k.privKey(kf, rec)
	if err != nil {
		return nil, err
	}
	return sealKeyFor(priv)
}
