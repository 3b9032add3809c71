package voteext

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Extension format limits. A vote extension travels in every precommit and, for
// all validators, in the next block: keep it a few KB.
const (
	Version = 1
	// MaxScores is K: at most this many txs are scored per block. With more txs the
	// scored subset is SampleIndices' deterministic choice.
	MaxScores = 512
	// MaxExtensionBytes bounds an encoded extension (512 scores take ~2.5 KB).
	MaxExtensionBytes = 4096
	MaxModelIDLen     = 64
	MaxRisk           = 1000
	// MaxBlockTxIndex bounds a tx index (no block holds a million txs).
	MaxBlockTxIndex = 1 << 20
)

var (
	ErrMalformed    = errors.New("malformed vote extension")
	ErrWrongVersion = errors.New("unsupported vote extension version")
	ErrWrongHeight  = errors.New("vote extension scores the wrong height")
	ErrOversized    = errors.New("vote extension too large")
)

// DecodeExtension parses and checks an extension's shape: canonical encoding,
// version, limits, strictly increasing indices, risks in range. It says nothing
// about whether the scores are right.
func DecodeExtension(bz []byte) (*VoteExtension, error) {
	if len(bz) > MaxExtensionBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrOversized, len(bz), MaxExtensionBytes)
	}
	var ve VoteExtension
	if err := ve.Unmarshal(bz); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// One encoding per content: a re-encoded extension must give the same bytes.
	if canon, err := ve.Marshal(); err != nil || !bytes.Equal(canon, bz) {
		return nil, fmt.Errorf("%w: not canonically encoded", ErrMalformed)
	}
	if err := ve.ValidateBasic(); err != nil {
		return nil, err
	}
	return &ve, nil
}

// ValidateBasic checks the fields of an extension.
func (ve *VoteExtension) ValidateBasic() error {
	if ve.Version != Version {
		return fmt.Errorf("%w: %d (this node speaks %d)", ErrWrongVersion, ve.Version, Version)
	}
	if ve.ScoredHeight < 1 {
		return fmt.Errorf("%w: scored height %d", ErrMalformed, ve.ScoredHeight)
	}
	if len(ve.ScoredBlockHash) != sha256.Size {
		return fmt.Errorf("%w: block hash is %d bytes, want %d", ErrMalformed, len(ve.ScoredBlockHash), sha256.Size)
	}
	if len(ve.ModelId) == 0 || len(ve.ModelId) > MaxModelIDLen {
		return fmt.Errorf("%w: model id must be 1-%d bytes", ErrMalformed, MaxModelIDLen)
	}
	if len(ve.TxIndices) != len(ve.Risks) {
		return fmt.Errorf("%w: %d indices but %d risks", ErrMalformed, len(ve.TxIndices), len(ve.Risks))
	}
	if len(ve.TxIndices) > MaxScores {
		return fmt.Errorf("%w: %d scores, at most %d", ErrOversized, len(ve.TxIndices), MaxScores)
	}
	for i, idx := range ve.TxIndices {
		if idx >= MaxBlockTxIndex || (i > 0 && idx <= ve.TxIndices[i-1]) {
			return fmt.Errorf("%w: tx indices must be strictly increasing and below %d", ErrMalformed, MaxBlockTxIndex)
		}
		if ve.Risks[i] > MaxRisk {
			return fmt.Errorf("%w: risk %d above %d", ErrMalformed, ve.Risks[i], MaxRisk)
		}
	}
	return nil
}

// VerifyExtension is VerifyVoteExtension's rule for a vote at height: empty is
// always accepted; otherwise the extension must be well formed and score height-1.
// Disagreeing scores are never a reason to reject.
func VerifyExtension(bz []byte, height int64) error {
	if len(bz) == 0 {
		return nil
	}
	ve, err := DecodeExtension(bz)
	if err != nil {
		return err
	}
	if ve.ScoredHeight != height-1 {
		return fmt.Errorf("%w: scores height %d in a vote for height %d (want %d)", ErrWrongHeight, ve.ScoredHeight, height, height-1)
	}
	return nil
}

// SampleIndices is the deterministic choice of which txs of a block with n txs
// are scored: all of them when n <= k, otherwise the k indices with the smallest
// sha256(blockHash || index) — a sample every validator computes alike, which a tx
// sender cannot aim for before the block exists. The result is increasing.
func SampleIndices(blockHash []byte, n, k int) []uint32 {
	n = min(n, MaxBlockTxIndex)
	if n <= k {
		out := make([]uint32, n)
		for i := range out {
			out[i] = uint32(i)
		}
		return out
	}
	type keyed struct {
		key uint64
		idx uint32
	}
	all := make([]keyed, n)
	buf := make([]byte, len(blockHash)+4)
	copy(buf, blockHash)
	for i := range all {
		binary.BigEndian.PutUint32(buf[len(blockHash):], uint32(i))
		h := sha256.Sum256(buf)
		all[i] = keyed{binary.BigEndian.Uint64(h[:8]), uint32(i)}
	}
	slices.SortFunc(all, func(a, b keyed) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return int(a.idx) - int(b.idx)
	})
	out := make([]uint32, k)
	for i := range out {
		out[i] = all[i].idx
	}
	slices.Sort(out)
	return out
}
