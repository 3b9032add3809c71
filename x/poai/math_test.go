package poai_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/poai"
)

func TestEMA(t *testing.T) {
	for _, tc := range []struct {
		name             string
		prev, obs, alpha uint32
		want             uint32
	}{
		{"steady", 500_000, 500_000, 100_000, 500_000},
		{"one perfect block", 500_000, 1_000_000, 100_000, 550_000},
		{"one missed block", 1_000_000, 0, 100_000, 900_000},
		{"reaches zero", 4, 0, 100_000, 3},
		{"rounds up to full", 999_999, 1_000_000, 100_000, 1_000_000},
		{"alpha 1 replaces", 123, 456_789, 1_000_000, 456_789},
		{"inputs above ppm clamp", 2_000_000, 3_000_000, 100_000, 1_000_000},
		{"half", 0, 1_000_000, 500_000, 500_000},
	} {
		require.Equal(t, tc.want, poai.EMA(tc.prev, tc.obs, tc.alpha), tc.name)
	}
}

func TestClipAgreement(t *testing.T) {
	for _, tc := range []struct{ agreement, kappa, want uint32 }{
		{900_000, 500_000, 900_000},
		{500_000, 500_000, 500_000},
		{499_999, 500_000, 0}, // outliers earn nothing (Yuma clip)
		{0, 0, 0},
		{2_000_000, 500_000, 1_000_000},
	} {
		require.Equal(t, tc.want, poai.ClipAgreement(tc.agreement, tc.kappa), "%+v", tc)
	}
}

func TestComputeReputation(t *testing.T) {
	p := poai.DefaultParams() // 70% agreement, 30% signed
	for _, tc := range []struct{ agree, signed, penalty, want uint32 }{
		{1_000_000, 1_000_000, 0, 1_000_000},
		{1_000_000, 0, 0, 700_000},
		{0, 1_000_000, 0, 300_000},
		{500_000, 500_000, 0, 500_000},
		{1_000_000, 1_000_000, 100_000, 900_000},
		{100_000, 100_000, 200_000, 0}, // floored at 0
		{1_000_000, 1_000_000, 1_000_000, 0},
	} {
		require.Equal(t, tc.want, poai.ComputeReputation(tc.agree, tc.signed, tc.penalty, p), "%+v", tc)
	}
}

func TestWeightAndPower(t *testing.T) {
	require.Equal(t, uint64(5_000_000), poai.WeightOf(10_000_000, 500_000))
	require.Equal(t, uint64(0), poai.WeightOf(10_000_000, 0))
	require.Equal(t, uint64(math.MaxUint64/2), poai.WeightOf(math.MaxUint64, 500_000)) // 128-bit intermediate
	require.Equal(t, uint64(math.MaxUint64), poai.MulDiv(math.MaxUint64, 2, 1))        // saturates
	require.Equal(t, int64(0), poai.PowerOf(999_999))
	require.Equal(t, int64(10), poai.PowerOf(10_999_999))
	require.Equal(t, poai.MaxPowerPerValidator, poai.PowerOf(math.MaxUint64))
}

func TestParamsValidate(t *testing.T) {
	require.NoError(t, poai.DefaultParams().Validate())
	for name, mut := range map[string]func(*poai.Params){
		"max_validators":   func(p *poai.Params) { p.MaxValidators = 0 },
		"min_validators":   func(p *poai.Params) { p.MinValidators = p.MaxValidators + 1 },
		"epoch_length":     func(p *poai.Params) { p.EpochLength = 0 },
		"min_self_stake":   func(p *poai.Params) { p.MinSelfStake = 1 },
		"bond_denom":       func(p *poai.Params) { p.BondDenom = "" },
		"agreement_weight": func(p *poai.Params) { p.AgreementWeight = 1 },
		"flag_threshold":   func(p *poai.Params) { p.FlagThreshold = 1001 },
		"max_missed":       func(p *poai.Params) { p.MaxMissedBlocks = p.DowntimeWindow },
		"authority":        func(p *poai.Params) { p.Authority = "nope" },
		"slash_fraction":   func(p *poai.Params) { p.SlashFractionDoubleSign = poai.PPM + 1 },
	} {
		p := poai.DefaultParams()
		mut(&p)
		require.ErrorContains(t, p.Validate(), name[:5], name)
	}
}
