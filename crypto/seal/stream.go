package seal

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// maxChunks bounds the chunk counter: it takes the upper 56 bits of the
// nonce's last 8 bytes, the final flag the lowest byte.
const maxChunks = 1 << 56

// stream seals or opens the chunks of one envelope in order (STREAM,
// Hoang–Reyhanitabar–Rogaway–Vizár). Chunk i uses
//
//	nonce = nonce prefix (16) ‖ uint64be(i<<8 | final)      (24 bytes)
//	ad    = H (32) ‖ record header (4)
//
// A chunk only opens at its own position and with its own final flag, so
// reordering, replaying or dropping chunks fails authentication, and a
// stream cut before its final chunk cannot end cleanly. XChaCha20 derives
// its subkey from the first 16 nonce bytes, so one subkey serves the whole
// stream and only the counter varies.
type stream struct {
	aead      cipher.AEAD
	nonce     [chacha20poly1305.NonceSizeX]byte
	ad        [sha256.Size + recordHeaderSize]byte
	counter   uint64
	chunkSize int
}

func newStream(key, noncePrefix []byte, hh *[sha256.Size]byte, chunkSize int) (*stream, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	s := &stream{aead: aead, chunkSize: chunkSize}
	copy(s.nonce[:], noncePrefix)
	copy(s.ad[:], hh[:])
	return s, nil
}

// next prepares nonce and AD for the current chunk.
func (s *stream) next(n int, final bool) error {
	if s.counter >= maxChunks {
		return fmt.Errorf("seal: stream exceeds %d chunks", uint64(maxChunks))
	}
	v := s.counter << 8
	if final {
		v |= 1
	}
	binary.BigEndian.PutUint64(s.nonce[noncePrefixSize:], v)
	binary.BigEndian.PutUint32(s.ad[sha256.Size:], recordHeader(n, final))
	return nil
}

// seal appends the record of chunk p (record header ‖ ciphertext ‖ tag) to
// dst. p may sit exactly at dst[len(dst)+4:], for sealing in place.
func (s *stream) seal(dst, p []byte, final bool) ([]byte, error) {
	if err := s.next(len(p), final); err != nil {
		return nil, err
	}
	dst = append(dst, s.ad[sha256.Size:]...)
	dst = s.aead.Seal(dst, s.nonce[:], p, s.ad[:])
	s.counter++
	return dst, nil
}

// open authenticates and decrypts one chunk body (ciphertext ‖ tag) whose
// record header said (n, final), appending the plaintext to dst. On failure
// nothing is appended (x/crypto zeroes what it wrote).
func (s *stream) open(dst, body []byte, n int, final bool) ([]byte, error) {
	if err := s.next(n, final); err != nil {
		return nil, err
	}
	out, err := s.aead.Open(dst, s.nonce[:], body, s.ad[:])
	if err != nil {
		return nil, fmt.Errorf("%w: chunk %d", ErrAuthentication, s.counter)
	}
	// Only the writer's shape is accepted: full non-final chunks. Checked
	// after authentication, so a forged length reads as tampering.
	if !final && n != s.chunkSize {
		return nil, fmt.Errorf("%w: non-final chunk %d holds %d bytes, chunk size is %d", ErrMalformed, s.counter, n, s.chunkSize)
	}
	s.counter++
	return out, nil
}
