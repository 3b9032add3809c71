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

func TestVerifyExtension(t *testing.T) {
	good := voteexttest.Extension(9, hash32, 10, 20, 1000)
	require.NoError(t, voteext.VerifyExtension(good, 10))
	require.NoError(t, voteext.VerifyExtension(nil, 10), "empty is always accepted")

	many := ext(9, hash32, nil, nil)
	for i := 0; i < voteext.MaxScores+1; i++ {
		many.TxIndices = append(many.TxIndices, uint32(i))
		many.Risks = append(many.Risks, 1)
	}
	for _, tc := range []struct {
		name string
		bz   []byte
		want error
	}{
		{"wrong height", good, voteext.ErrWrongHeight},
		{"garbage", []byte{0xff, 0xff, 0xff}, voteext.ErrMalformed},
		{"oversized", bytes.Repeat([]byte{0}, voteext.MaxExtensionBytes+1), voteext.ErrOversized},
		{"too many scores", mustMarshal(t, many), voteext.ErrOversized},
		{"wrong version", mustMarshal(t, &voteext.VoteExtension{Version: 2, ScoredHeight: 10, ScoredBlockHash: hash32, ModelId: "m"}), voteext.ErrWrongVersion},
		{"short hash", mustMarshal(t, ext(10, hash32[:5], nil, nil)), voteext.ErrMalformed},
		{"no model id", mustMarshal(t, &voteext.VoteExtension{Version: 1, ScoredHeight: 10, ScoredBlockHash: hash32}), voteext.ErrMalformed},
		{"risk above 1000", mustMarshal(t, ext(10, hash32, []uint32{0}, []uint32{1001})), voteext.ErrMalformed},
		{"indices not increasing", mustMarshal(t, ext(10, hash32, []uint32{3, 3}, []uint32{1, 1})), voteext.ErrMalformed},
		{"length mismatch", mustMarshal(t, ext(10, hash32, []uint32{1, 2}, []uint32{1})), voteext.ErrMalformed},
		{"index out of range", mustMarshal(t, ext(10, hash32, []uint32{voteext.MaxBlockTxIndex}, []uint32{1})), voteext.ErrMalformed},
		{"non-canonical (trailing unknown field)", append(voteexttest.Extension(10, hash32, 1), 0x38, 0x01), voteext.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			height := int64(11)
			if tc.name == "wrong height" {
				height = 12
			}
			require.ErrorIs(t, voteext.VerifyExtension(tc.bz, height), tc.want)
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

// The largest extension the node builds fits the size limit and passes its own check.
func TestBuildExtensionFitsLimits(t *testing.T) {
	risks := make([]uint32, 5000)
	for i := range risks {
		risks[i] = uint32(i % 1001)
	}
	bz, err := voteext.BuildExtension(analyzer.Report{Height: 41, BlockHash: hash32, ModelID: "builtin-stat-v1", Risks: risks}, len(risks))
	require.NoError(t, err)
	require.LessOrEqual(t, len(bz), voteext.MaxExtensionBytes)
	require.NoError(t, voteext.VerifyExtension(bz, 42))
	t.Logf("extension with %d scores: %d bytes", voteext.MaxScores, len(bz))
}
