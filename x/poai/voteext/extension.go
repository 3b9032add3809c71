package voteext

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/selfchain/selfchain/x/poai"
)

// Extension format limits. A vote extension travels in every precommit and, for
// all validators, in the next block: keep it a few KB.
const (
	Version = 2
	// MaxScores is K: at most this many txs of a block are scored. With more txs
	// the scored subset is SampleIndices' deterministic choice.
	MaxScores = poai.MaxScoresPerBlock
	// MaxReports bounds the blocks one extension reports on.
	MaxReports = 16
	// MaxWindow bounds how far back an extension may reach (x/poai's score_window
	// is at most this; the chain drops what lies outside its own window).
	MaxWindow = poai.MaxScoreWindow
	// MaxExtensionBytes bounds an encoded extension (256 scores take ~1.3 KB:
	// three full blocks, or many small ones, fit).
	MaxExtensionBytes = 4096
	MaxModelIDLen     = 64
	MaxRisk           = poai.MaxRisk
	// MaxBlockTxIndex bounds a tx index (no block holds a million txs).
	MaxBlockTxIndex = 1 << 20
)

var (
	ErrMalformed    = errors.New("malformed vote extension")
	ErrWrongVersion = errors.New("unsupported vote extension version")
	ErrWrongHeight  = errors.New("vote extension scores a block outside its window")
	ErrOversized    = errors.New("vote extension too large")
)

// DecodeExtension parses and checks an extension's shape: canonical encoding,
// version, limits, strictly increasing heights and indices, risks in range. It
// says nothing about whether the scores are right.
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
	if len(ve.Blocks) > MaxReports {
		return fmt.Errorf("%w: %d blocks, at most %d", ErrOversized, len(ve.Blocks), MaxReports)
	}
	for i, b := range ve.Blocks {
		if b.Height < 1 || (i > 0 && b.Height <= ve.Blocks[i-1].Height) {
			return fmt.Errorf("%w: block heights must be positive and strictly increasing", ErrMalformed)
		}
		if err := b.ValidateBasic(); err != nil {
			return fmt.Errorf("block %d: %w", b.Height, err)
		}
	}
	return nil
}

// ValidateBasic checks one block's scores.
func (b *BlockScores) ValidateBasic() error {
	if len(b.BlockHash) != sha256.Size {
		return fmt.Errorf("%w: block hash is %d bytes, want %d", ErrMalformed, len(b.BlockHash), sha256.Size)
	}
	if len(b.ModelId) == 0 || len(b.ModelId) > MaxModelIDLen {
		return fmt.Errorf("%w: model id must be 1-%d bytes", ErrMalformed, MaxModelIDLen)
	}
	if len(b.TxIndices) != len(b.Risks) {
		return fmt.Errorf("%w: %d indices but %d risks", ErrMalformed, len(b.TxIndices), len(b.Risks))
	}
	if len(b.TxIndices) > MaxScores {
		return fmt.Errorf("%w: %d scores, at most %d", ErrOversized, len(b.TxIndices), MaxScores)
	}
	for i, idx := range b.TxIndices {
		if idx >= MaxBlockTxIndex || (i > 0 && idx <= b.TxIndices[i-1]) {
			return fmt.Errorf("%w: tx indices must be strictly increasing and below %d", ErrMalformed, MaxBlockTxIndex)
		}
		if b.Risks[i] > MaxRisk {
			return fmt.Errorf("%w: risk %d above %d", ErrMalformed, b.Risks[i], MaxRisk)
		}
	}
	// builtin_indices: a strictly increasing subset of tx_indices (walked together).
	j := 0
	for i, idx := range b.BuiltinIndices {
		if i > 0 && idx <= b.BuiltinIndices[i-1] {
			return fmt.Errorf("%w: builtin indices must be strictly increasing", ErrMalformed)
		}
		for j < len(b.TxIndices) && b.TxIndices[j] < idx {
			j++
		}
		if j == len(b.TxIndices) || b.TxIndices[j] != idx {
			return fmt.Errorf("%w: builtin index %d is not one of the scored tx indices", ErrMalformed, idx)
		}
	}
	return nil
}

// VerifyExtension is VerifyVoteExtension's rule for a vote at height: empty is
// always accepted; otherwise the extension must be well formed and report only
// on blocks in [height-MaxWindow, height-1]. Disagreeing scores, or blocks the
// chain's own (smaller) window no longer takes, are never a reason to reject.
func VerifyExtension(bz []byte, height int64) error {
	if len(bz) == 0 {
		return nil
	}
	ve, err := DecodeExtension(bz)
	if err != nil {
		return err
	}
	for _, b := range ve.Blocks {
		if b.Height >= height || b.Height < height-MaxWindow {
			return fmt.Errorf("%w: scores height %d in a vote for height %d (want %d..%d)", ErrWrongHeight, b.Height, height, max(height-MaxWindow, 1), height-1)
		}
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
