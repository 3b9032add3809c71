package crypto

import (
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/stretchr/testify/require"
)

// The allocation-light decoder agrees with the general one on every valid
// address and declines (leaving the error to the general one) everything else.
func TestAddressFromBech32FastAgrees(t *testing.T) {
	for i := 0; i < 200; i++ {
		a := ModuleAddress(strings.Repeat("m", i))
		s := a.String()
		got, ok := addressFromBech32Fast(s, GetBech32Prefix())
		require.True(t, ok, s)
		require.Equal(t, a, got)
		// A flipped character breaks the checksum: declined, and the general path refuses it.
		bad := []byte(s)
		bad[len(bad)-3] = bech32Charset[(strings.IndexByte(bech32Charset, bad[len(bad)-3])+1)%32]
		_, ok = addressFromBech32Fast(string(bad), GetBech32Prefix())
		require.False(t, ok)
		_, err := AddressFromBech32(string(bad))
		require.ErrorIs(t, err, ErrInvalidAddress)
	}
	// Bech32m of the same data: a valid string of the other format, refused.
	conv, err := bech32.ConvertBits(ModuleAddress("x"), 8, 5, true)
	require.NoError(t, err)
	m, err := bech32.EncodeM(GetBech32Prefix(), conv)
	require.NoError(t, err)
	_, ok := addressFromBech32Fast(m, GetBech32Prefix())
	require.False(t, ok)
	_, err = AddressFromBech32(m)
	require.ErrorContains(t, err, "bech32m")
	// Upper case is valid bech32 but not the fast path's.
	_, ok = addressFromBech32Fast(strings.ToUpper(ModuleAddress("x").String()), GetBech32Prefix())
	require.False(t, ok)
}

func TestAddressFromBech32FastAllocs(t *testing.T) {
	s := ModuleAddress("fee_collector").String()
	n := testing.AllocsPerRun(100, func() { _, _ = AddressFromBech32(s) })
	require.LessOrEqual(t, n, 1.0, "decoding a canonical address allocates only the address")
}

// FuzzAddressFromBech32Fast: whenever the fast decoder accepts a string, the
// general decoder accepts it too with the same bytes; whenever the general one
// accepts a lowercase string, the fast one does too.
func FuzzAddressFromBech32Fast(f *testing.F) {
	f.Add(ModuleAddress("fee_collector").String())
	f.Add("self1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqkgarf5")
	f.Add("self1")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := addressFromBech32Fast(s, GetBech32Prefix())
		gen, err := addressFromBech32General(s)
		if ok {
			require.NoError(t, err)
			require.Equal(t, gen, fast)
			return
		}
		if err == nil && s == strings.ToLower(s) {
			t.Fatalf("general decoder accepts %q, the fast one declines it", s)
		}
	})
}
