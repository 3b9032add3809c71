package keyring

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

const (
	kdfArgon2id      = "argon2id"
	cipherXChaCha    = "xchacha20-poly1305"
	saltLen          = 16
	minPassphraseLen = 8
	// Limits on parameters read from files, so a hostile armor cannot make
	// us allocate unbounded memory or spin forever.
	maxArgonTime      = 64
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
)

type argonParams struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// sealParams are used for new blobs: RFC 9106's second recommended setting
// (64 MiB, 3 passes, 4 lanes), affordable on small machines. Tests lower it.
var sealParams = argonParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// errOpen means authentication failed: wrong passphrase or altered data.
var errOpen = errors.New("decryption failed")

// sealedBox is a passphrase-encrypted blob with everything needed to open
// it except the passphrase.
type sealedBox struct {
	KDF        string `json:"kdf"`
	Time       uint32 `json:"argon2_time"`
	MemoryKiB  uint32 `json:"argon2_memory_kib"`
	Threads    uint8  `json:"argon2_threads"`
	Salt       []byte `json:"salt"`
	Cipher     string `json:"cipher"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

func lockWithPassphrase(passphrase string, plaintext, aad []byte) (*sealedBox, error) {
	b := &sealedBox{
		KDF: kdfArgon2id, Time: sealParams.Time, MemoryKiB: sealParams.MemoryKiB, Threads: sealParams.Threads,
		Salt: make([]byte, saltLen), Cipher: cipherXChaCha, Nonce: make([]byte, chacha20poly1305.NonceSizeX),
	}
	if _, err := rand.Read(b.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(b.Nonce); err != nil {
		return nil, err
	}
	key := b.deriveKey(passphrase)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	b.Ciphertext = aead.Seal(nil, b.Nonce, plaintext, aad)
	return b, nil
}

// open returns the plaintext, errOpen on a wrong passphrase or tampering,
// or another error if the box itself is malformed.
func (b *sealedBox) open(passphrase string, aad []byte) ([]byte, error) {
	switch {
	case b.KDF != kdfArgon2id:
		return nil, fmt.Errorf("unsupported kdf %q (want %q)", b.KDF, kdfArgon2id)
	case b.Cipher != cipherXChaCha:
		return nil, fmt.Errorf("unsupported cipher %q (want %q)", b.Cipher, cipherXChaCha)
	case b.Time < 1 || b.Time > maxArgonTime || b.Threads < 1 ||
		b.MemoryKiB < 8*uint32(b.Threads) || b.MemoryKiB > maxArgonMemoryKiB:
		return nil, fmt.Errorf("argon2id parameters out of range (t=%d m=%dKiB p=%d)", b.Time, b.MemoryKiB, b.Threads)
	case len(b.Salt) < 8:
		return nil, fmt.Errorf("salt too short (%d bytes)", len(b.Salt))
	case len(b.Nonce) != chacha20poly1305.NonceSizeX:
		return nil, fmt.Errorf("nonce must be %d bytes, got %d", chacha20poly1305.NonceSizeX, len(b.Nonce))
	}
	key := b.deriveKey(passphrase)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, b.Nonce, b.Ciphertext, aad)
	if err != nil {
		return nil, errOpen
	}
	return pt, nil
}

func (b *sealedBox) deriveKey(passphrase string) []byte {
	return argon2.IDKey([]byte(passphrase), b.Salt, b.Time, b.MemoryKiB, b.Threads, chacha20poly1305.KeySize)
}

// checkNewPassphrase applies to passphrases that will encrypt something;
// existing blobs open with whatever passphrase they were made with.
func checkNewPassphrase(p string) error {
	if len(p) < minPassphraseLen {
		return fmt.Errorf("passphrase too short: want at least %d characters", minPassphraseLen)
	}
	return nil
}
