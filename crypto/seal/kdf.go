package seal

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/cloudflare/circl/kem/xwing"
)

// Key schedule, suite 1:
//
//	H      = SHA-256("selfchain/seal/v1 header" ‖ header[0:1158] ‖ ad)
//	okm    = HKDF-SHA256(ikm = X-Wing shared secret, salt = none,
//	                     info = "selfchain/seal/v1" ‖ SHA-256(recipient pk) ‖ H, 64)
//	key    = okm[0:32]   XChaCha20-Poly1305 payload key
//	commit = okm[32:64]  stored in the header, checked before any chunk
//
// H covers version, suite, key id, AD length, chunk size, nonce prefix and
// the whole KEM ciphertext, then the AD (its length is fixed by the header,
// so the concatenation is unambiguous). X-Wing's own combiner binds the
// X25519 half of key and ciphertext; the pk hash and H bind all of both.
// The commitment makes the envelope key-committing (Poly1305 alone is not)
// and rejects a wrong AD or an altered header before any chunk is read.
const (
	labelKDF    = "selfchain/seal/v1"
	labelHeader = "selfchain/seal/v1 header"
)

func headerHash(hdr, ad []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(labelHeader))
	h.Write(hdr[:offCommit])
	h.Write(ad)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

func deriveKeys(ss []byte, pkHash, hh *[sha256.Size]byte) (key, commit []byte) {
	info := make([]byte, 0, len(labelKDF)+2*sha256.Size)
	info = append(info, labelKDF...)
	info = append(info, pkHash[:]...)
	info = append(info, hh[:]...)
	okm, err := hkdf.Key(sha256.New, ss, nil, string(info), 64)
	if err != nil {
		panic(err) // cannot happen: 64 bytes is far below HKDF's limit
	}
	return okm[:32], okm[32:]
}

// encapsulate runs X-Wing with an explicit 64-byte seed (the KAT test
// drives it with the spec's eseed).
func encapsulate(pub *PublicKey, eseed []byte) (ct, ss []byte) {
	ct = make([]byte, xwing.CiphertextSize)
	ss = make([]byte, xwing.SharedKeySize)
	pub.k.EncapsulateTo(ct, ss, eseed)
	afterKEM()
	return ct, ss
}

func decapsulate(priv *PrivateKey, ct []byte) (ss []byte) {
	ss = make([]byte, xwing.SharedKeySize)
	priv.k.DecapsulateTo(ss, ct)
	afterKEM()
	return ss
}

// newSender builds a header for pub and the stream that seals the chunks
// after it. rnd supplies the X-Wing encapsulation seed and the nonce prefix.
func newSender(rnd io.Reader, pub *PublicKey, ad []byte, chunkSize int) ([]byte, *stream, error) {
	if chunkSize == 0 {
		chunkSize = DefaultChunkSize
	}
	if chunkSize < MinChunkSize || chunkSize > MaxChunkSize {
		return nil, nil, fmt.Errorf("seal: chunk size %d out of range [%d, %d]", chunkSize, MinChunkSize, MaxChunkSize)
	}
	if uint64(len(ad)) > 1<<32-1 {
		return nil, nil, fmt.Errorf("seal: associated data of %d bytes exceeds 4 GiB", len(ad))
	}
	var random [xwing.EncapsulationSeedSize + noncePrefixSize]byte
	if _, err := io.ReadFull(rnd, random[:]); err != nil {
		return nil, nil, fmt.Errorf("seal: reading randomness: %w", err)
	}
	hdr := make([]byte, HeaderSize)
	copy(hdr, magic)
	hdr[4] = Version
	hdr[5] = SuiteXWing
	id := pub.keyID()
	copy(hdr[offKeyID:], id[:])
	binary.BigEndian.PutUint32(hdr[offADLen:], uint32(len(ad)))
	binary.BigEndian.PutUint32(hdr[offChunkSize:], uint32(chunkSize))
	copy(hdr[offNoncePrefix:offKEM], random[xwing.EncapsulationSeedSize:])
	ct, ss := encapsulate(pub, random[:xwing.EncapsulationSeedSize])
	copy(hdr[offKEM:offCommit], ct)

	hh := headerHash(hdr, ad)
	key, commit := deriveKeys(ss, &pub.hash, &hh)
	copy(hdr[offCommit:], commit)
	s, err := newStream(key, hdr[offNoncePrefix:offKEM], &hh, chunkSize)
	return hdr, s, err
}

// newReceiver authenticates a parsed header for priv and returns the
// stream that opens the chunks. Cheap checks come first: the key id (no KEM
// work for someone else's envelope), then the AD length.
func newReceiver(h *header, priv *PrivateKey, ad []byte) (*stream, error) {
	if want := priv.pub.keyID(); h.keyID != want {
		return nil, fmt.Errorf("%w: sealed to key %x, this key is %x", ErrWrongRecipient, h.keyID[:], want[:])
	}
	if uint64(len(ad)) != uint64(h.adLen) {
		return nil, fmt.Errorf("%w: associated data is %d bytes, envelope was sealed with %d", ErrAuthentication, len(ad), h.adLen)
	}
	ss := decapsulate(priv, h.kemCiphertext())
	hh := headerHash(h.raw, ad)
	key, commit := deriveKeys(ss, &priv.pub.hash, &hh)
	if subtle.ConstantTimeCompare(commit, h.commitment()) != 1 {
		return nil, fmt.Errorf("%w: header (KEM ciphertext, fields or associated data) does not match", ErrAuthentication)
	}
	return newStream(key, h.noncePrefix(), &hh, h.chunkSize)
}
