package backup

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/cometbft/cometbft/crypto/merkle"
)

// leafInManifest checks the manifest half of a storage proof on its own (the
// same RFC 6962 check StorageProof.Verify makes), so the two halves' failures
// get distinct codes.
func leafInManifest(root []byte, count, index uint64, leaf []byte, aunts [][]byte) error {
	if count > 1<<40 || index >= count {
		return ErrWrongChunk.Wrapf("chunk %d of %d", index, count)
	}
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	pr := merkle.Proof{Total: int64(count), Index: int64(index), LeafHash: h.Sum(nil), Aunts: aunts}
	if err := pr.ValidateBasic(); err != nil {
		return err
	}
	return pr.Verify(root, leaf)
}

// chunkSize is the ciphertext size a chunk leaf states (0 when malformed).
func chunkSize(leaf []byte) uint64 {
	if len(leaf) != ChunkLeafSize {
		return 0
	}
	return binary.BigEndian.Uint64(leaf[:8])
}
