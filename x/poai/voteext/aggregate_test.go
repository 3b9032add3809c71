package voteext_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/poai/voteext"
)

func TestWeightedMedian(t *testing.T) {
	for _, tc := range []struct {
		name   string
		risks  []uint32
		powers []int64
		want   uint32
	}{
		{"empty", nil, nil, 0},
		{"one", []uint32{700}, []int64{5}, 700},
		{"equal weights odd", []uint32{10, 20, 30}, []int64{1, 1, 1}, 20},
		{"equal weights even takes the lower", []uint32{10, 20, 30, 40}, []int64{1, 1, 1, 1}, 20},
		{"heavy low score wins", []uint32{0, 900, 1000}, []int64{60, 20, 20}, 0},
		{"heavy high score wins", []uint32{0, 100, 1000}, []int64{10, 10, 81}, 1000},
		{"exactly half reaches it", []uint32{100, 900}, []int64{50, 50}, 100},
		{"a minority outlier moves nothing", []uint32{50, 55, 60, 1000}, []int64{30, 30, 30, 10}, 55},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, voteext.WeightedMedian(tc.risks, tc.powers))
		})
	}
}

func TestClippedLoss(t *testing.T) {
	for _, tc := range []struct{ s, m, want uint32 }{
		{100, 100, 0},
		{150, 100, 0},             // inside the band
		{50, 100, 0},              // inside the band, below
		{151, 100, 1_000},         // one point clipped away
		{0, 1000, 950_000},        // all but the band
		{1000, 0, 950_000},        // symmetric
		{600, 100, 450_000},       // 500 off: 450 clipped
		{100, 600, 450_000},       //
		{1000, 1000, 0},           //
		{0, voteext.Tolerance, 0}, // edge of the band
	} {
		require.Equal(t, tc.want, voteext.ClippedLoss(tc.s, tc.m), "s=%d m=%d", tc.s, tc.m)
	}
}

func TestAgreement(t *testing.T) {
	medians := []voteext.TxRisk{{Index: 0, Risk: 100}, {Index: 2, Risk: 500}, {Index: 5, Risk: 0}}
	for _, tc := range []struct {
		name           string
		indices, risks []uint32
		want           uint32
	}{
		{"exact", []uint32{0, 2, 5}, []uint32{100, 500, 0}, voteext.PPM},
		{"within tolerance", []uint32{0, 2, 5}, []uint32{140, 460, 50}, voteext.PPM},
		{"one tx far off", []uint32{0, 2, 5}, []uint32{100, 500, 1000}, (2*voteext.PPM + 50_000) / 3},
		{"missing a median tx counts zero", []uint32{0, 2}, []uint32{100, 500}, 2 * voteext.PPM / 3},
		{"extra txs without a median are ignored", []uint32{0, 1, 2, 5, 9}, []uint32{100, 999, 500, 0, 999}, voteext.PPM},
		{"scored nothing", nil, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, voteext.Agreement(tc.indices, tc.risks, medians))
		})
	}
	require.Equal(t, uint32(voteext.PPM), voteext.Agreement(nil, nil, nil), "no medians: full agreement")
}

func ext(height int64, hash []byte, idx, risks []uint32) *voteext.VoteExtension {
	return &voteext.VoteExtension{Version: 1, ScoredHeight: height, ScoredBlockHash: hash, ModelId: "m", TxIndices: idx, Risks: risks}
}

func TestAggregate(t *testing.T) {
	h := make([]byte, 32)
	other := append(make([]byte, 31), 1)
	votes := []voteext.Vote{
		{Address: []byte{4}, Power: 10, Ext: ext(7, h, []uint32{0, 1}, []uint32{1000, 1000})}, // dishonest
		{Address: []byte{1}, Power: 30, Ext: ext(7, h, []uint32{0, 1}, []uint32{100, 0})},
		{Address: []byte{3}, Power: 30, Ext: ext(7, h, []uint32{0, 1}, []uint32{120, 10})},
		{Address: []byte{2}, Power: 20}, // no extension
		{Address: []byte{5}, Power: 5, Ext: ext(7, other, []uint32{0, 1}, []uint32{0, 0})}, // scored another block
		{Address: []byte{6}, Power: 5, Ext: ext(7, h, []uint32{3}, []uint32{900})},         // tx 3 lacks quorum
	}
	res := voteext.Aggregate(votes)
	require.Equal(t, []voteext.TxRisk{{Index: 0, Risk: 120}, {Index: 1, Risk: 10}}, res.Risks)
	require.Len(t, res.Signals, 6)
	for i, want := range []voteext.AgreementSignal{
		{ConsAddress: []byte{1}, Scored: true, ModelID: "m", Agreement: voteext.PPM},
		{ConsAddress: []byte{2}},
		{ConsAddress: []byte{3}, Scored: true, ModelID: "m", Agreement: voteext.PPM},
		{ConsAddress: []byte{4}, Scored: true, ModelID: "m", Agreement: voteext.PPM - (830_000+940_000)/2},
		{ConsAddress: []byte{5}},
		{ConsAddress: []byte{6}, Scored: true, ModelID: "m", Agreement: 0},
	} {
		require.Equal(t, want, res.Signals[i], "signal %d", i)
	}
	// Input order does not matter.
	rev := make([]voteext.Vote, len(votes))
	for i := range votes {
		rev[i] = votes[len(votes)-1-i]
	}
	require.Equal(t, res, voteext.Aggregate(rev))

	// An empty block: everyone who sent an extension agrees fully, no risks.
	empty := voteext.Aggregate([]voteext.Vote{{Address: []byte{1}, Power: 1, Ext: ext(7, h, nil, nil)}, {Address: []byte{2}, Power: 1}})
	require.Empty(t, empty.Risks)
	require.Equal(t, []voteext.AgreementSignal{{ConsAddress: []byte{1}, Scored: true, ModelID: "m", Agreement: voteext.PPM}, {ConsAddress: []byte{2}}}, empty.Signals)

	// Nobody scored (every node restarted and lost its report): no signal, so
	// nobody's reputation moves.
	none := voteext.Aggregate([]voteext.Vote{{Address: []byte{1}, Power: 1}, {Address: []byte{2}, Power: 1}})
	require.Empty(t, none.Risks)
	require.Empty(t, none.Signals)
}
