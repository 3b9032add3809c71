// Package agent is the backup agent: it chunks a directory, seals every
// chunk to the owner's own key, uploads to each chosen holder, commits the
// manifest root on chain, and verifies and restores.
package agent

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"github.com/selfchain/selfchain/backup/chunker"
	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/crypto/seal"
)

// Keys are the owner's keys as the agent uses them. All derive from the
// owner's account key, so the account's mnemonic is enough to restore.
type Keys struct {
	Owner string           // account address (the agreements' owner)
	Sign  wire.Signer      // the account key, signing holder requests
	Seal  *seal.PrivateKey // the account's encryption key: every chunk is sealed to it
	dedup []byte           // keys the chunk ids
	gear  *chunker.Table   // keys the chunk boundaries
	pub   *seal.PublicKey
}

// NewKeys derives the dedup and chunking keys from the encryption key.
func NewKeys(owner string, sign wire.Signer, sealKey *seal.PrivateKey) (*Keys, error) {
	dedup, err := hkdf.Key(sha256.New, sealKey.Bytes(), nil, "selfchain/backup/v1 dedup", 32)
	if err != nil {
		return nil, err
	}
	gk, err := hkdf.Key(sha256.New, sealKey.Bytes(), nil, "selfchain/backup/v1 chunker", 32)
	if err != nil {
		return nil, err
	}
	return &Keys{Owner: owner, Sign: sign, Seal: sealKey, dedup: dedup, gear: chunker.NewTable(gk), pub: sealKey.Public()}, nil
}

// ChunkID is the keyed hash of a chunk's kind and plaintext: equal content
// deduplicates, and without the owner's key nobody can test a guess.
func (k *Keys) ChunkID(kind wire.Kind, plaintext []byte) wire.ID {
	m := hmac.New(sha256.New, k.dedup)
	m.Write([]byte{byte(kind)})
	m.Write(plaintext)
	var id wire.ID
	m.Sum(id[:0])
	return id
}

// chunkAD binds a sealed chunk to its id and kind, so a holder cannot
// answer a request for one chunk with another of the owner's chunks.
func chunkAD(id wire.ID, kind wire.Kind) []byte {
	return append(append([]byte("selfchain/backup/v1 chunk"), byte(kind)), id[:]...)
}

// SealChunk encrypts a chunk to the owner's key.
func (k *Keys) SealChunk(id wire.ID, kind wire.Kind, plaintext []byte) ([]byte, error) {
	return seal.Seal(k.pub, plaintext, chunkAD(id, kind))
}

// OpenChunk decrypts a chunk and checks that its plaintext is the one id names.
func (k *Keys) OpenChunk(id wire.ID, kind wire.Kind, ciphertext []byte) ([]byte, error) {
	pt, err := seal.Open(k.Seal, ciphertext, chunkAD(id, kind))
	if err != nil {
		return nil, fmt.Errorf("chunk %s does not decrypt: %w", id, err)
	}
	if k.ChunkID(kind, pt) != id {
		return nil, fmt.Errorf("chunk %s decrypts to other content", id)
	}
	return pt, nil
}
