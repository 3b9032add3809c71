package store

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"

	ics23 "github.com/cosmos/ics23/go"
)

// The app hash is an RFC-6962 merkle root (CometBFT crypto/merkle) over the stores sorted by
// name, each leaf being the pair (name, sha256(tree root)) encoded the way cosmos-sdk's
// rootmulti store encodes it, so ics23.TendermintSpec proofs verify against it.

// emptyHash is the root of an empty IAVL tree and of an empty merkle tree.
var emptyHash = func() []byte { h := sha256.Sum256(nil); return h[:] }()

// storeLeafOp is the leaf op ics23.TendermintSpec requires.
func storeLeafOp() *ics23.LeafOp {
	return &ics23.LeafOp{
		Hash:         ics23.HashOp_SHA256,
		PrehashKey:   ics23.HashOp_NO_HASH,
		PrehashValue: ics23.HashOp_SHA256,
		Length:       ics23.LengthOp_VAR_PROTO,
		Prefix:       []byte{0},
	}
}

// leafHash = sha256(0x00 || uvarint(len(name)) || name || uvarint(32) || sha256(root)).
func leafHash(name string, root []byte) []byte {
	vh := sha256.Sum256(root)
	buf := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(name)+len(vh))
	buf = append(buf, 0)
	buf = binary.AppendUvarint(buf, uint64(len(name)))
	buf = append(buf, name...)
	buf = binary.AppendUvarint(buf, uint64(len(vh)))
	buf = append(buf, vh[:]...)
	h := sha256.Sum256(buf)
	return h[:]
}

// innerHash = sha256(0x01 || left || right).
func innerHash(left, right []byte) []byte {
	buf := make([]byte, 0, 1+len(left)+len(right))
	buf = append(buf, 1)
	buf = append(buf, left...)
	buf = append(buf, right...)
	h := sha256.Sum256(buf)
	return h[:]
}

// splitPoint is the largest power of two strictly below n (n >= 2), as in crypto/merkle.
func splitPoint(n int) int {
	k := 1 << (bits.Len(uint(n)) - 1)
	if k == n {
		k >>= 1
	}
	return k
}

func merkleRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		return emptyHash
	case 1:
		return leaves[0]
	}
	k := splitPoint(len(leaves))
	return innerHash(merkleRoot(leaves[:k]), merkleRoot(leaves[k:]))
}

func storeLeaves(names []string, roots [][]byte) [][]byte {
	leaves := make([][]byte, len(names))
	for i, name := range names {
		leaves[i] = leafHash(name, roots[i])
	}
	return leaves
}

// appHash commits to the tree roots of the stores; names are sorted and roots[i] belongs to names[i].
func appHash(names []string, roots [][]byte) []byte {
	return merkleRoot(storeLeaves(names, roots))
}

// storeExistenceProof proves (names[idx], roots[idx]) under appHash(names, roots).
func storeExistenceProof(names []string, roots [][]byte, idx int) *ics23.ExistenceProof {
	_, path := merklePath(storeLeaves(names, roots), idx)
	return &ics23.ExistenceProof{
		Key:   []byte(names[idx]),
		Value: roots[idx],
		Leaf:  storeLeafOp(),
		Path:  path,
	}
}

// merklePath returns the root of leaves and the inner ops from leaf idx up to it.
func merklePath(leaves [][]byte, idx int) ([]byte, []*ics23.InnerOp) {
	if len(leaves) == 1 {
		return leaves[0], nil
	}
	k := splitPoint(len(leaves))
	if idx < k {
		sub, path := merklePath(leaves[:k], idx)
		right := merkleRoot(leaves[k:])
		op := &ics23.InnerOp{Hash: ics23.HashOp_SHA256, Prefix: []byte{1}, Suffix: right}
		return innerHash(sub, right), append(path, op)
	}
	left := merkleRoot(leaves[:k])
	sub, path := merklePath(leaves[k:], idx-k)
	op := &ics23.InnerOp{Hash: ics23.HashOp_SHA256, Prefix: append([]byte{1}, left...)}
	return innerHash(left, sub), append(path, op)
}
