package bank

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/types"
)

func TestIntValueCodec(t *testing.T) {
	var max [32]byte
	for i := range max {
		max[i] = 0xff
	}
	cases := []struct {
		v    types.Int
		want []byte
	}{
		{types.NewInt(0), []byte{0}},
		{types.NewInt(1), []byte{1}},
		{types.NewInt(256), []byte{1, 0}},
		{types.NewInt(1_000_000), []byte{0x0f, 0x42, 0x40}},
		{types.IntFromBytes32(max), max[:]},
	}
	for _, tc := range cases {
		bz, err := intValue{}.Encode(tc.v)
		require.NoError(t, err)
		require.Equal(t, tc.want, bz, tc.v.String())
		back, err := intValue{}.Decode(bz)
		require.NoError(t, err)
		require.True(t, tc.v.Equal(back))

		js, err := intValue{}.EncodeJSON(tc.v)
		require.NoError(t, err)
		fromJS, err := intValue{}.DecodeJSON(js)
		require.NoError(t, err)
		require.True(t, tc.v.Equal(fromJS))
	}
	for _, bad := range [][]byte{nil, {}, {0, 1}, make([]byte, 33)} {
		_, err := intValue{}.Decode(bad)
		require.Error(t, err, "%x", bad)
	}
}

func BenchmarkIntValueEncode(b *testing.B) {
	v := types.NewInt(123_456_789)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = intValue{}.Encode(v)
	}
}
