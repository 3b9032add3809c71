// Package keyring stores account keys on disk (or in memory) and signs
// with them.
//
// Every key is one versioned JSON file named after the key. Public fields
// (type, public key, address) are always in clear so listing never needs a
// passphrase; the private key is stored as {type, key bytes}, either plain
// ("test", "memory") or sealed with argon2id + XChaCha20-Poly1305 ("file").
// Storing the type with the key is what lets future key schemes live in the
// same keyring without a format change.
package keyring

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/seal"
)

// Backend names accepted by New.
const (
	// BackendFile encrypts every private key at rest with a passphrase.
	BackendFile = "file"
	// BackendTest keeps private keys unencrypted on disk; for tests and
	// throwaway local networks only.
	BackendTest = "test"
	// BackendMemory keeps keys in process memory; for tests.
	BackendMemory = "memory"
)

var backends = []string{BackendFile, BackendMemory, BackendTest}

var (
	ErrKeyNotFound     = errors.New("key not found")
	ErrKeyExists       = errors.New("key already exists")
	ErrInvalidName     = errors.New("invalid key name")
	ErrWrongPassphrase = errors.New("wrong passphrase")
)

// Record is the public view of a stored key.
type Record struct {
	Name      string
	Type      string
	PubKey    crypto.PubKey
	Address   crypto.Address
	CreatedAt time.Time
}

// MarshalJSON gives a readable form for CLI output; the public key is
// shown in its wire form {type, key}.
func (r Record) MarshalJSON() ([]byte, error) {
	var pk []byte
	if r.PubKey != nil {
		pk = r.PubKey.Bytes()
	}
	return json.Marshal(struct {
		Name      string         `json:"name"`
		Type      string         `json:"type"`
		PubKey    []byte         `json:"pub_key"`
		Address   crypto.Address `json:"address"`
		CreatedAt time.Time      `json:"created_at"`
	}{r.Name, r.Type, pk, r.Address, r.CreatedAt})
}

// Keyring manages named keys. Implementations are safe for concurrent use
// within one process.
type Keyring interface {
	// NewMnemonic creates a key from a fresh 24-word mnemonic (index 0, no
	// BIP-39 passphrase) and returns the mnemonic, which is not stored.
	NewMnemonic(name, keyType string) (Record, string, error)
	// Recover re-derives a key from a mnemonic (see crypto.DeriveKey).
	Recover(name, keyType, mnemonic string, index uint32) (Record, error)
	// List returns all keys sorted by name.
	List() ([]Record, error)
	// Get finds a key by name, or else by bech32 address.
	Get(nameOrAddress string) (Record, error)
	Delete(name string) error
	Sign(nameOrAddress string, msg []byte) ([]byte, crypto.PubKey, error)
	// ExportPrivKeyArmor returns the private key encrypted with passphrase
	// as ASCII armor.
	ExportPrivKeyArmor(name, passphrase string) (string, error)
	ImportPrivKeyArmor(name, armor, passphrase string) (Record, error)
	// SealKey returns the key's encryption key (X25519 + ML-KEM-768, see crypto/seal),
	// derived from its private key; its public half is what others encrypt to.
	SealKey(nameOrAddress string) (*seal.PrivateKey, error)
	Backend() string
}

// PassphraseFunc supplies the keyring passphrase. confirm is true when a
// new passphrase is being chosen and should be asked twice.
type PassphraseFunc func(prompt string, confirm bool) (string, error)

// New opens the keyring of the given backend. Disk backends live in
// homeDir/keyring-<backend>/; passphrase is required by the file backend
// and is called lazily, only when a private key must be sealed or opened.
func New(backend, homeDir string, passphrase PassphraseFunc) (Keyring, error) {
	kr := &keyring{backend: backend}
	switch backend {
	case BackendMemory:
		kr.st = newMemStore()
		return kr, nil
	case BackendTest, BackendFile:
	default:
		return nil, fmt.Errorf("unknown keyring backend %q (valid: %s)", backend, strings.Join(backends, ", "))
	}
	if homeDir == "" {
		return nil, fmt.Errorf("keyring backend %q needs a home directory", backend)
	}
	if backend == BackendFile {
		if passphrase == nil {
			return nil, errors.New("keyring backend \"file\" needs a passphrase source")
		}
		kr.encrypted = true
		kr.passFn = passphrase
	}
	kr.dir = filepath.Join(homeDir, "keyring-"+backend)
	if err := os.MkdirAll(kr.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create keyring directory: %w", err)
	}
	kr.st = dirStore{dir: kr.dir}
	return kr, nil
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// validateName keeps names safe to use as file names on every platform.
func validateName(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("%w %q: want 1-64 characters of A-Z a-z 0-9 . _ -", ErrInvalidName, name)
	}
	return nil
}
