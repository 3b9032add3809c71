package crypto

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// expandSeed derives n bytes for one purpose (label) from a SeedSize seed.
// HKDF-SHA256 without salt: the seed is already uniform, the label is what
// keeps the outputs for different purposes independent.
func expandSeed(seed []byte, label string, n int) ([]byte, error) {
	return hkdf.Key(sha256.New, seed, nil, label, n)
}

// checkSeed rejects seeds of the wrong length with a message naming the type.
func checkSeed(keyType string, seed []byte) error {
	if len(seed) != SeedSize {
		return fmt.Errorf("%w: %s private key (seed) must be %d bytes, got %d", ErrInvalidKey, keyType, SeedSize, len(seed))
	}
	return nil
}

// generateFromSeed makes a random key: every post-quantum scheme here stores
// its private key as a seed, so a fresh key is a fresh seed.
func generateFromSeed(fromSeed func([]byte) (PrivKey, error)) func() (PrivKey, error) {
	return func() (PrivKey, error) {
		seed := make([]byte, SeedSize)
		defer clear(seed)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		return fromSeed(seed)
	}
}
