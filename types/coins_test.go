package types_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/types"
)

func TestParseIntIsStrictAndChecked(t *testing.T) {
	for _, bad := range []string{"", "-1", "+1", " 1", "1.0", "0x10", "01", strings.Repeat("9", 78), strings.Repeat("1", 79)} {
		_, err := types.ParseInt(bad)
		require.Error(t, err, bad)
	}
	max := "115792089237316195423570985008687907853269984665640564039457584007913129639935" // 2^256-1
	v, err := types.ParseInt(max)
	require.NoError(t, err)
	require.Equal(t, max, v.String())
	_, err = v.Add(types.NewInt(1))
	require.ErrorIs(t, err, types.ErrIntOverflow)
	_, err = types.NewInt(1).Sub(types.NewInt(2))
	require.ErrorIs(t, err, types.ErrIntNegative)
	_, err = v.MulUint64(2)
	require.ErrorIs(t, err, types.ErrIntOverflow)

	var back types.Int
	bz, _ := v.Marshal()
	require.NoError(t, back.Unmarshal(bz))
	require.True(t, back.Equal(v))
	require.Error(t, back.UnmarshalJSON([]byte(`-5`)))
}

func TestParseCoinsCanonical(t *testing.T) {
	cs, err := types.ParseCoins("5uatom, 1000uself")
	require.NoError(t, err)
	require.Equal(t, "5uatom,1000uself", cs.String())

	for in, want := range map[string]string{
		"":                             "empty amount",
		"-5uself":                      "negative",
		"5":                            "want <amount><denom>",
		"0uself":                       "must be positive",
		"1uself,2uself":                "duplicate denom",
		"1u$elf":                       "want <amount><denom>",
		"1" + "ab":                     "want <amount><denom>",
		"1" + strings.Repeat("a", 129): "want <amount><denom>",
	} {
		_, err := types.ParseCoins(in)
		require.ErrorContains(t, err, want, in)
	}
}

func TestCoinsAdd(t *testing.T) {
	a, _ := types.ParseCoins("1uatom,2uself")
	b, _ := types.ParseCoins("3uself,4uzzz")
	sum, err := a.Add(b)
	require.NoError(t, err)
	require.Equal(t, "1uatom,5uself,4uzzz", sum.String())
	require.NoError(t, sum.Validate())
	require.Equal(t, "5", sum.AmountOf("uself").String())
	require.True(t, sum.AmountOf("nope").IsZero())
}
