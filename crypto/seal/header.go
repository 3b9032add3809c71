package seal

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/cloudflare/circl/kem/xwing"
)

// Envelope layout, version 1, suite 1. All integers big-endian.
//
//	offset  size  field
//	     0     4  magic "SEAL"
//	     4     1  version = 1
//	     5     1  suite = 1 (X-Wing, HKDF-SHA256, XChaCha20-Poly1305)
//	     6     8  recipient key id = SHA-256(public key)[:8]
//	    14     4  associated data length (the data itself is not stored)
//	    18     4  chunk size: plaintext bytes per chunk, 1 KiB..16 MiB
//	    22    16  nonce prefix, random per envelope
//	    38  1120  X-Wing ciphertext (ML-KEM-768 1088 ‖ X25519 ephemeral 32)
//	  1158    32  key commitment (HKDF output, see kdf.go)
//	  1190        chunks, each: 4-byte record header ‖ ciphertext ‖ 16-byte tag
//
// Record header: bit 31 = final chunk, bits 0-30 = plaintext length n.
// Non-final chunks carry exactly chunk size bytes; the one final chunk
// carries 0..chunk size (0 only for an empty payload). Nothing may follow it.
const (
	// Version is the envelope format this package writes and reads.
	Version = 1
	// SuiteXWing is the only suite: X-Wing, HKDF-SHA256, XChaCha20-Poly1305.
	SuiteXWing = 1

	// Plaintext bytes per chunk: the reader's buffer is at most
	// MaxChunkSize + 16, whatever a header claims.
	DefaultChunkSize = 64 << 10
	MinChunkSize     = 1 << 10
	MaxChunkSize     = 16 << 20

	// HeaderSize is the fixed envelope header length (suite 1).
	HeaderSize = offCommit + commitSize
	// ChunkOverhead is what each chunk adds to its plaintext; an envelope
	// is HeaderSize + plaintext + ChunkOverhead per chunk (at least one).
	ChunkOverhead = recordHeaderSize + tagSize

	magic            = "SEAL"
	prefixSize       = 6 // magic, version, suite: enough to decide how to read the rest
	noncePrefixSize  = 16
	commitSize       = 32
	recordHeaderSize = 4
	tagSize          = 16
	finalBit         = 1 << 31

	offKeyID       = 6
	offADLen       = offKeyID + KeyIDSize
	offChunkSize   = offADLen + 4
	offNoncePrefix = offChunkSize + 4
	offKEM         = offNoncePrefix + noncePrefixSize
	offCommit      = offKEM + xwing.CiphertextSize
)

// header is a parsed, structurally valid envelope header (not yet
// authenticated: that needs the private key).
type header struct {
	raw       []byte // HeaderSize bytes
	keyID     [KeyIDSize]byte
	adLen     uint32
	chunkSize int
}

func (h *header) noncePrefix() []byte   { return h.raw[offNoncePrefix:offKEM] }
func (h *header) kemCiphertext() []byte { return h.raw[offKEM:offCommit] }
func (h *header) commitment() []byte    { return h.raw[offCommit:HeaderSize] }

// checkPrefix validates the first prefixSize bytes, or as many as b has
// (the input ended early: ErrTruncated, unless what is there is already wrong).
func checkPrefix(b []byte) error {
	n := min(len(b), len(magic))
	if !bytes.Equal(b[:n], []byte(magic)[:n]) {
		return fmt.Errorf("%w: not a sealed envelope (bad magic)", ErrMalformed)
	}
	if len(b) > 4 && b[4] != Version {
		return fmt.Errorf("%w: version %d (this code reads %d)", ErrUnsupportedVersion, b[4], Version)
	}
	if len(b) > 5 && b[5] != SuiteXWing {
		return fmt.Errorf("%w: suite %d (this code reads %d)", ErrUnsupportedVersion, b[5], SuiteXWing)
	}
	if len(b) < prefixSize {
		return fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, len(b), HeaderSize)
	}
	return nil
}

// parseHeader parses the first HeaderSize bytes of b. A shorter b means the
// input ended there.
func parseHeader(b []byte) (*header, error) {
	if err := checkPrefix(b[:min(len(b), prefixSize)]); err != nil {
		return nil, err
	}
	if len(b) < HeaderSize {
		return nil, fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, len(b), HeaderSize)
	}
	h := &header{raw: b[:HeaderSize:HeaderSize]}
	copy(h.keyID[:], b[offKeyID:])
	h.adLen = binary.BigEndian.Uint32(b[offADLen:])
	cs := binary.BigEndian.Uint32(b[offChunkSize:])
	if cs < MinChunkSize || cs > MaxChunkSize {
		return nil, fmt.Errorf("%w: chunk size %d out of range [%d, %d]", ErrMalformed, cs, MinChunkSize, MaxChunkSize)
	}
	h.chunkSize = int(cs)
	return h, nil
}

// RecipientKeyID returns the key id (as PublicKey.ID) an envelope is sealed
// to, from its first 14 bytes, so a caller can pick the key before opening.
func RecipientKeyID(envelope []byte) (string, error) {
	if err := checkPrefix(envelope[:min(len(envelope), prefixSize)]); err != nil {
		return "", err
	}
	if len(envelope) < offKeyID+KeyIDSize {
		return "", fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, len(envelope), HeaderSize)
	}
	return hex.EncodeToString(envelope[offKeyID : offKeyID+KeyIDSize]), nil
}

// recordHeader encodes a chunk's record header.
func recordHeader(n int, final bool) uint32 {
	v := uint32(n)
	if final {
		v |= finalBit
	}
	return v
}

// parseRecordHeader checks a record header against the chunk size before
// anything is read or allocated for the chunk body.
func parseRecordHeader(b []byte, chunkSize int) (n int, final bool, err error) {
	v := binary.BigEndian.Uint32(b)
	final = v&finalBit != 0
	n = int(v &^ finalBit)
	if n > chunkSize {
		return 0, false, fmt.Errorf("%w: chunk of %d bytes exceeds chunk size %d", ErrMalformed, n, chunkSize)
	}
	return n, final, nil
}
