package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/crypto/merkle"
)

// The storage-proof format shared by the chain (which checks proofs), the
// holder daemon (which answers challenges) and the backup agent (which
// computes the manifest root it commits). Two levels of RFC 6962 Merkle trees,
// CometBFT's crypto/merkle (leaf = SHA-256(0x00‖leaf), inner =
// SHA-256(0x01‖left‖right)):
//
//   - a chunk's ciphertext is cut into SegmentSize-byte segments (the last one
//     may be shorter); its segment root is the tree over those segments;
//   - the manifest root is the tree over ChunkLeaf(size, segment root), one
//     leaf per stored chunk in manifest order.
//
// A challenge names a chunk index and a seed; the segment to prove is
// SegmentIndex(seed, size), so the holder must keep every byte of the chunk,
// not only its hash, and cannot pick which segment to show. A proof costs one
// segment plus two short paths (under 3 KiB for a 1 TiB backup of 1 MiB
// chunks), whatever the chunk size.

// SegmentSize is the byte length of a challenged segment.
const SegmentSize = 1024

// ChunkLeafSize is the length of a manifest leaf: 8-byte big-endian
// ciphertext size followed by the 32-byte segment root.
const ChunkLeafSize = 8 + sha256.Size

// MaxChunkSize bounds a stored chunk's ciphertext (so segment paths stay short).
const MaxChunkSize = 64 << 20

// Proof errors, wrapped by the module's registered error codes.
var (
	errEmptyChunk   = errors.New("chunk is empty")
	errChunkTooBig  = fmt.Errorf("chunk is larger than %d bytes", MaxChunkSize)
	errBadSegment   = errors.New("segment does not have the length its index requires")
	errBadChunkLeaf = errors.New("chunk leaf is malformed")
)

// SegmentCount is the number of segments of a chunk of size bytes.
func SegmentCount(size uint64) uint64 { return (size + SegmentSize - 1) / SegmentSize }

// Segments cuts ciphertext into segments (sharing its memory).
func Segments(ciphertext []byte) [][]byte {
	segs := make([][]byte, 0, SegmentCount(uint64(len(ciphertext))))
	for off := 0; off < len(ciphertext); off += SegmentSize {
		segs = append(segs, ciphertext[off:min(off+SegmentSize, len(ciphertext))])
	}
	return segs
}

// ChunkLeaf is the manifest leaf of a chunk: its size and segment root.
func ChunkLeaf(size uint64, segmentRoot []byte) []byte {
	leaf := make([]byte, ChunkLeafSize)
	binary.BigEndian.PutUint64(leaf, size)
	copy(leaf[8:], segmentRoot)
	return leaf
}

// ChunkLeafOf computes a chunk's manifest leaf from its ciphertext.
func ChunkLeafOf(ciphertext []byte) ([]byte, error) {
	if len(ciphertext) == 0 {
		return nil, errEmptyChunk
	}
	if len(ciphertext) > MaxChunkSize {
		return nil, errChunkTooBig
	}
	return ChunkLeaf(uint64(len(ciphertext)), segmentRoot(ciphertext)), nil
}

// ManifestRoot is the root over the chunk leaves, in manifest order.
func ManifestRoot(chunkLeaves [][]byte) []byte { return merkle.HashFromByteSlices(chunkLeaves) }

// SegmentIndex picks the segment a challenge with this seed asks for.
func SegmentIndex(seed []byte, size uint64) uint64 {
	n := SegmentCount(size)
	if n == 0 {
		return 0
	}
	h := sha256.Sum256(append([]byte("selfchain/backup/segment"), seed...))
	return binary.BigEndian.Uint64(h[:8]) % n
}

// StorageProof answers a challenge: the challenged chunk's manifest leaf, the
// challenged segment, and the two Merkle paths (sibling hashes, leaf first).
type StorageProof struct {
	ChunkLeaf    []byte
	Segment      []byte
	SegmentPath  [][]byte
	ManifestPath [][]byte
}

// BuildStorageProof is what a holder runs: the proof that it holds chunk
// chunkIndex (whose ciphertext it passes) of a manifest with these leaves.
func BuildStorageProof(chunkLeaves [][]byte, chunkIndex uint64, ciphertext, seed []byte) (StorageProof, error) {
	if chunkIndex >= uint64(len(chunkLeaves)) {
		return StorageProof{}, fmt.Errorf("chunk index %d out of range (%d chunks)", chunkIndex, len(chunkLeaves))
	}
	leaf, err := ChunkLeafOf(ciphertext)
	if err != nil {
		return StorageProof{}, err
	}
	if !bytes.Equal(leaf, chunkLeaves[chunkIndex]) {
		return StorageProof{}, errors.New("chunk ciphertext does not match its manifest leaf")
	}
	segs := Segments(ciphertext)
	si := SegmentIndex(seed, uint64(len(ciphertext)))
	_, segProofs := merkle.ProofsFromByteSlices(segs)
	_, leafProofs := merkle.ProofsFromByteSlices(chunkLeaves)
	return StorageProof{
		ChunkLeaf:    leaf,
		Segment:      segs[si],
		SegmentPath:  segProofs[si].Aunts,
		ManifestPath: leafProofs[chunkIndex].Aunts,
	}, nil
}

// Verify checks a proof for chunk chunkIndex of a manifest with chunkCount
// chunks and this root, challenged with seed. Only hashing: safe on any input.
func (p StorageProof) Verify(root []byte, chunkCount, chunkIndex uint64, seed []byte) error {
	if len(p.ChunkLeaf) != ChunkLeafSize {
		return errBadChunkLeaf
	}
	size := binary.BigEndian.Uint64(p.ChunkLeaf[:8])
	if size == 0 || size > MaxChunkSize {
		return errBadChunkLeaf
	}
	if chunkIndex >= chunkCount || chunkCount > 1<<40 {
		return fmt.Errorf("chunk index %d out of range (%d chunks)", chunkIndex, chunkCount)
	}
	if err := verifyPath(root, int64(chunkCount), int64(chunkIndex), p.ChunkLeaf, p.ManifestPath); err != nil {
		return fmt.Errorf("chunk leaf not in the manifest: %w", err)
	}
	si := SegmentIndex(seed, size)
	want := uint64(SegmentSize)
	if si == SegmentCount(size)-1 {
		want = size - si*SegmentSize
	}
	if uint64(len(p.Segment)) != want {
		return errBadSegment
	}
	if err := verifyPath(p.ChunkLeaf[8:], int64(SegmentCount(size)), int64(si), p.Segment, p.SegmentPath); err != nil {
		return fmt.Errorf("segment %d not in the chunk: %w", si, err)
	}
	return nil
}
