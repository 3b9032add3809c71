package backup

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"math/bits"

	"github.com/cometbft/cometbft/crypto/merkle"
)

// The RFC 6962 tree of CometBFT's crypto/merkle (leaf = SHA-256(0x00‖leaf),
// inner = SHA-256(0x01‖left‖right), split at the largest power of two below
// the count), computed without its per-node allocations: a block checks
// thousands of paths and the agent and holder hash every segment of every
// chunk. Results are identical to merkle.HashFromByteSlices and
// merkle.Proof.Verify (FuzzVerifyPathMatchesCometBFT, FuzzSegmentRootMatchesCometBFT).

const hashSize = sha256.Size

// leafHasher hashes leaves with one reusable digest.
type leafHasher struct{ d hash.Hash }

func (l *leafHasher) sum(leaf []byte, out *[hashSize]byte) {
	if len(leaf) <= 64 { // chunk leaves, short segments
		var buf [65]byte
		n := copy(buf[1:], leaf)
		*out = sha256.Sum256(buf[:1+n])
		return
	}
	if len(leaf) <= SegmentSize { // segments: a 1 KiB copy costs less than a digest allocation
		var buf [1 + SegmentSize]byte
		n := copy(buf[1:], leaf)
		*out = sha256.Sum256(buf[:1+n])
		return
	}
	if l.d == nil {
		l.d = sha256.New()
	}
	l.d.Reset()
	l.d.Write([]byte{0})
	l.d.Write(leaf)
	l.d.Sum(out[:0])
}

func innerHash(left, right []byte) [hashSize]byte {
	var buf [1 + 2*hashSize]byte
	buf[0] = 1
	copy(buf[1:], left)
	copy(buf[1+hashSize:], right)
	return sha256.Sum256(buf[:])
}

func splitPoint(n int64) int64 {
	k := int64(1) << (bits.Len64(uint64(n)) - 1)
	if k == n {
		k >>= 1
	}
	return k
}

// segmentRoot is merkle.HashFromByteSlices(Segments(ciphertext)) for a
// non-empty ciphertext.
func segmentRoot(ciphertext []byte) []byte {
	n := (len(ciphertext) + SegmentSize - 1) / SegmentSize
	hs := make([][hashSize]byte, n)
	var lh leafHasher
	for i := range hs {
		lh.sum(ciphertext[i*SegmentSize:min((i+1)*SegmentSize, len(ciphertext))], &hs[i])
	}
	r := reduce(hs)
	return r[:]
}

// reduce is the root over leaf hashes (overwriting them).
func reduce(hs [][hashSize]byte) [hashSize]byte {
	if len(hs) == 1 {
		return hs[0]
	}
	k := splitPoint(int64(len(hs)))
	l, r := reduce(hs[:k]), reduce(hs[k:])
	return innerHash(l[:], r[:])
}

// verifyPath checks that leaf is leaf index of total under root with these
// aunts (leaf first): the checks and outcome of merkle.Proof's ValidateBasic
// and Verify.
func verifyPath(root []byte, total, index int64, leaf []byte, aunts [][]byte) error {
	if total < 0 || index < 0 {
		return errors.New("negative total or index")
	}
	if len(aunts) > merkle.MaxAunts {
		return fmt.Errorf("expected no more than %d aunts, got %d", merkle.MaxAunts, len(aunts))
	}
	for i, a := range aunts {
		if len(a) != hashSize {
			return fmt.Errorf("expected Aunts#%d size to be %d, got %d", i, hashSize, len(a))
		}
	}
	if root == nil {
		return errors.New("invalid root hash: cannot be nil")
	}
	if index >= total {
		return fmt.Errorf("invalid index %d and/or total %d", index, total)
	}
	// Walk down from the root to the leaf, noting on which side the path goes.
	var left [merkle.MaxAunts]bool
	depth := 0
	for idx, tot := index, total; tot > 1; depth++ {
		if depth == len(aunts) {
			return errors.New("expected at least one inner hash")
		}
		k := splitPoint(tot)
		if idx < k {
			left[depth], tot = true, k
		} else {
			idx, tot = idx-k, tot-k
		}
	}
	if depth != len(aunts) {
		return errors.New("unexpected inner hashes")
	}
	var h [hashSize]byte
	var lh leafHasher
	lh.sum(leaf, &h)
	// Back up: the deepest level's sibling is aunts[0].
	for d := depth - 1; d >= 0; d-- {
		a := aunts[depth-1-d]
		if left[d] {
			h = innerHash(h[:], a)
		} else {
			h = innerHash(a, h[:])
		}
	}
	if !bytes.Equal(h[:], root) {
		return fmt.Errorf("invalid root hash: wanted %X got %X", root, h)
	}
	return nil
}
