package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "256MiB": 256 << 20, "1GiB": 1 << 30, "64KiB": 64 << 10,
		"100MB": 100e6, "2GB": 2e9, "5KB": 5000, "512B": 512, " 8 MiB ": 8 << 20,
	} {
		got, err := ParseByteSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "MiB", "lots", "1.5GiB", "-1MiB", "256mib", "1TiB", "99999999999GiB"} {
		_, err := ParseByteSize(in)
		require.Error(t, err, in)
	}
	_, err := ParseByteSize("lots")
	require.EqualError(t, err, `"lots" is not a size: want a whole number of bytes or one with KiB, MiB, GiB, KB, MB or GB, e.g. 256MiB`)
}

func TestFormatByteSizeRoundTrips(t *testing.T) {
	for _, n := range []int64{0, 1, 1000, 1 << 10, 3 << 20, 256 << 20, 1 << 30, 5<<30 + 1} {
		got, err := ParseByteSize(FormatByteSize(n))
		require.NoError(t, err)
		require.Equal(t, n, got, FormatByteSize(n))
	}
	require.Equal(t, "256MiB", FormatByteSize(256<<20))
}

func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"256MiB", "1GiB", "12", "x", "99999999999GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseByteSize(s)
		if err != nil {
			return
		}
		require.GreaterOrEqual(t, n, int64(0))
		back, err := ParseByteSize(FormatByteSize(n))
		require.NoError(t, err)
		require.Equal(t, n, back)
	})
}
