package seal

import (
	"crypto/rand"
	"fmt"
	"io"
)

// Seal encrypts plaintext to pub. ad is authenticated but not stored: Open
// must be given the same bytes. The envelope has DefaultChunkSize chunks
// and is byte-compatible with NewWriter/NewReader.
func Seal(pub *PublicKey, plaintext, ad []byte) ([]byte, error) {
	return sealWith(rand.Reader, pub, plaintext, ad, DefaultChunkSize)
}

func sealWith(rnd io.Reader, pub *PublicKey, plaintext, ad []byte, chunkSize int) ([]byte, error) {
	hdr, s, err := newSender(rnd, pub, ad, chunkSize)
	if err != nil {
		return nil, err
	}
	chunks := max(1, (len(plaintext)+s.chunkSize-1)/s.chunkSize)
	out := make([]byte, 0, len(hdr)+len(plaintext)+chunks*ChunkOverhead)
	out = append(out, hdr...)
	for {
		n := min(len(plaintext), s.chunkSize)
		final := n == len(plaintext)
		if out, err = s.seal(out, plaintext[:n], final); err != nil {
			return nil, err
		}
		if final {
			return out, nil
		}
		plaintext = plaintext[n:]
	}
}

// Open decrypts an envelope sealed to priv's public key with the same ad.
// It returns the whole plaintext or an error, never part of it.
func Open(priv *PrivateKey, envelope, ad []byte) ([]byte, error) {
	h, err := parseHeader(envelope)
	if err != nil {
		return nil, err
	}
	s, err := newReceiver(h, priv, ad)
	if err != nil {
		return nil, err
	}
	rest := envelope[HeaderSize:]
	// The plaintext is shorter than the envelope, so this is bounded by
	// what the caller already holds.
	out := make([]byte, 0, max(0, len(rest)-ChunkOverhead))
	for {
		if len(rest) < recordHeaderSize {
			return fail(out, fmt.Errorf("%w: stream ends before chunk %d (no final chunk)", ErrTruncated, s.counter))
		}
		n, final, err := parseRecordHeader(rest, s.chunkSize)
		if err != nil {
			return fail(out, err)
		}
		rest = rest[recordHeaderSize:]
		if len(rest) < n+tagSize {
			return fail(out, fmt.Errorf("%w: chunk %d has %d of %d bytes", ErrTruncated, s.counter, len(rest), n+tagSize))
		}
		o, err := s.open(out, rest[:n+tagSize], n, final)
		if err != nil {
			return fail(out, err)
		}
		out = o
		rest = rest[n+tagSize:]
		if final {
			if len(rest) > 0 {
				return fail(out, fmt.Errorf("%w: %d bytes after the final chunk", ErrMalformed, len(rest)))
			}
			return out, nil
		}
	}
}

// fail wipes the plaintext gathered so far: Open is all or nothing.
func fail(out []byte, err error) ([]byte, error) {
	clear(out[:cap(out)])
	return nil, err
}
