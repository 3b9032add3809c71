package voteext_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/poai/analyzer"
	"github.com/selfchain/selfchain/x/poai/voteext"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

var hash32 = bytes.Repeat([]byte{0xab}, 32)

func mustMarshal(t *testing.T, ve *voteext.VoteExtension) []byte {
	bz, err := ve.Marshal()
	require.NoError(t, err)
	return bz
}

func blk(height int64, hash []byte, idx, risks []uint32) *voteext.BlockScores {
	return &voteext.BlockScores{Height: height, BlockHash: hash, ModelId: "m", TxIndices: idx, Risks: risks}
}

func ve(blocks ...*voteext.BlockScores) *voteext.VoteExtension {
	return &voteext.VoteExtension{Version: voteext.Version, Blocks: blocks}
}

func TestVerifyExtension(t *testing.T) {
	good := voteexttest.Extension(9, hash32, 10, 20, 1000)
	require.NoError(t, voteext.VerifyExtension(good, 10))
	require.NoError(t, voteext.VerifyExtension(nil, 10), "empty is always accepted")
	lagged := mustMarshal(t, ve(blk(100-voteext.MaxWindow, hash32, nil, nil), blk(95, hash32, []uint32{0}, []uint32{7}), blk(99, hash32, nil, nil)))
	require.NoError(t, voteext.VerifyExtension(lagged, 100), "reports on several blocks of the window")
	require.NoError(t, voteext.VerifyExtension(mustMarshal(t, ve()), 10), "no block finished yet")
	mixed := blk(9, hash32, []uint32{1, 4, 7}, []uint32{900, 5, 0})
	mixed.BuiltinIndices = []uint32{4, 7}
	require.NoError(t, voteext.VerifyExtension(mustMarshal(t, ve(mixed)), 10), "the LLM scored tx 1, the built-in model 4 and 7")
	notScored := blk(10, hash32, []uint32{1, 4}, []uint32{1, 1})
	notScored.BuiltinIndices = []uint32{2}
	unsorted := blk(10, hash32, []uint32{1, 4}, []uint32{1, 1})
	unsorted.BuiltinIndices = []uint32{4, 1}

	many := blk(10, hash32, nil, nil)
	for i := 0; i < voteext.MaxScores+1; i++ {
		many.TxIndices = append(many.TxIndices, uint32(i))
		many.Risks = append(many.Risks, 1)
	}
	var tooMany []*voteext.BlockScores
	for h := int64(1); h <= voteext.MaxReports+1; h++ {
		tooMany = append(tooMany, blk(h, hash32, nil, nil))
	}
	for _, tc := range []struct {
		name   string
		bz     []byte
		height int64
		want   error
	}{
		{"a block not before the vote", good, 9, voteext.ErrWrongHeight},
		{"a block before the widest window", mustMarshal(t, ve(blk(100-voteext.MaxWindow-1, hash32, nil, nil))), 100, voteext.ErrWrongHeight},
		{"garbage", []byte{0xff, 0xff, 0xff}, 11, voteext.ErrMalformed},
		{"oversized", bytes.Repeat([]byte{0}, voteext.MaxExtensionBytes+1), 11, voteext.ErrOversized},
		{"too many scores", mustMarshal(t, ve(many)), 11, voteext.ErrOversized},
		{"too many blocks", mustMarshal(t, ve(tooMany...)), 20, voteext.ErrOversized},
		{"duplicated block", mustMarshal(t, ve(blk(5, hash32, nil, nil), blk(5, hash32, nil, nil))), 11, voteext.ErrMalformed},
		{"blocks out of order", mustMarshal(t, ve(blk(6, hash32, nil, nil), blk(5, hash32, nil, nil))), 11, voteext.ErrMalformed},
		{"wrong version", mustMarshal(t, &voteext.VoteExtension{Version: 1}), 11, voteext.ErrWrongVersion},
		{"short hash", mustMarshal(t, ve(blk(10, hash32[:5], nil, nil))), 11, voteext.ErrMalformed},
		{"no model id", mustMarshal(t, ve(&voteext.BlockScores{Height: 10, BlockHash: hash32})), 11, voteext.ErrMalformed},
		{"risk above 1000", mustMarshal(t, ve(blk(10, hash32, []uint32{0}, []uint32{1001}))), 11, voteext.ErrMalformed},
		{"duplicated tx", mustMarshal(t, ve(blk(10, hash32, []uint32{3, 3}, []uint32{1, 1}))), 11, voteext.ErrMalformed},
		{"length mismatch", mustMarshal(t, ve(blk(10, hash32, []uint32{1, 2}, []uint32{1}))), 11, voteext.ErrMalformed},
		{"builtin index not scored", mustMarshal(t, ve(notScored)), 11, voteext.ErrMalformed},
		{"builtin indices not increasing", mustMarshal(t, ve(unsorted)), 11, voteext.ErrMalformed},
		{"index out of range", mustMarshal(t, ve(blk(10, hash32, []uint32{voteext.MaxBlockTxIndex}, []uint32{1}))), 11, voteext.ErrMalformed},
		{"non-canonical (trailing unknown field)", append(voteexttest.Extension(10, hash32, 1), 0x48, 0x01), 11, voteext.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, voteext.VerifyExtension(tc.bz, tc.height), tc.want)
		})
	}
}

func TestSampleIndices(t *testing.T) {
	require.Equal(t, []uint32{0, 1, 2}, voteext.SampleIndices(hash32, 3, 5))
	s := voteext.SampleIndices(hash32, 5000, voteext.MaxScores)
	require.Len(t, s, voteext.MaxScores)
	for i := 1; i < len(s); i++ {
		require.Less(t, s[i-1], s[i])
	}
	require.Less(t, s[len(s)-1], uint32(5000))
	require.Equal(t, s, voteext.SampleIndices(hash32, 5000, voteext.MaxScores), "deterministic")
	require.NotEqual(t, s, voteext.SampleIndices(make([]byte, 32), 5000, voteext.MaxScores), "depends on the block hash")
	require.Greater(t, s[len(s)-1], uint32(2500), "spread over the block, not the first K")
}

// The largest extensions the node builds fit the size limit and pass its own
// check: full blocks are cut at the byte bound (oldest first kept), small ones
// at MaxReports.
func TestBuildExtensionFitsLimits(t *testing.T) {
	risks := make([]uint32, 5000)
	for i := range risks {
		risks[i] = uint32(i % 1001)
	}
	var full, small []analyzer.Report
	for h := int64(30); h < 50; h++ {
		full = append(full, analyzer.Report{Height: h, BlockHash: hash32, ModelID: "builtin-stat-v1", Risks: risks})
		small = append(small, analyzer.Report{Height: h, BlockHash: hash32, ModelID: "builtin-stat-v1", Risks: []uint32{1, 2}})
	}
	bz, n, err := voteext.BuildExtension(full[:1])
	require.NoError(t, err)
	require.Equal(t, 1, n)
	t.Logf("extension with one block of %d scores: %d bytes", voteext.MaxScores, len(bz))
	bz, n, err = voteext.BuildExtension(full)
	require.NoError(t, err)
	require.LessOrEqual(t, len(bz), voteext.MaxExtensionBytes)
	require.GreaterOrEqual(t, n, 2, "more than one full block fits")
	require.NoError(t, voteext.VerifyExtension(bz, 50))
	got, err := voteext.DecodeExtension(bz)
	require.NoError(t, err)
	require.Equal(t, int64(30), got.Blocks[0].Height, "oldest first")
	require.Len(t, got.Blocks[0].Risks, voteext.MaxScores)

	bz, n, err = voteext.BuildExtension(small)
	require.NoError(t, err)
	require.Equal(t, voteext.MaxReports, n)
	require.NoError(t, voteext.VerifyExtension(bz, 50))

	// A report whose model scored only some txs names the rest as the built-in model's.
	bz, _, err = voteext.BuildExtension([]analyzer.Report{{Height: 30, BlockHash: hash32, ModelID: "llm:m", Risks: []uint32{9, 8, 7, 6}, ByModel: []uint32{1, 2}}})
	require.NoError(t, err)
	got, err = voteext.DecodeExtension(bz)
	require.NoError(t, err)
	require.Equal(t, []uint32{0, 3}, got.Blocks[0].BuiltinIndices)
	bz, _, err = voteext.BuildExtension([]analyzer.Report{{Height: 30, BlockHash: hash32, ModelID: "llm:m", Risks: []uint32{9, 8}}})
	require.NoError(t, err)
	got, err = voteext.DecodeExtension(bz)
	require.NoError(t, err)
	require.Empty(t, got.Blocks[0].BuiltinIndices, "the model scored every tx")

	bz, n, err = voteext.BuildExtension(nil)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Empty(t, bz, "nothing to report: an empty extension")
}
