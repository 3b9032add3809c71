package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/stretchr/testify/require"
)

// encodeRaw builds bech32 strings the normal encoder would refuse to make.
func encodeRaw(t testing.TB, hrp string, data []byte) string {
	conv, err := bech32.ConvertBits(data, 8, 5, true)
	require.NoError(t, err)
	s, err := bech32.Encode(hrp, conv)
	require.NoError(t, err)
	return s
}

func TestAddressBech32RoundTrip(t *testing.T) {
	for i := 0; i < 50; i++ {
		priv, err := GenerateKey(KeyTypeEd25519)
		require.NoError(t, err)
		addr := priv.PubKey().Address()
		require.Len(t, addr, AddressLen)
		s := addr.String()
		require.True(t, strings.HasPrefix(s, "self1"), s)
		back, err := AddressFromBech32(s)
		require.NoError(t, err)
		require.True(t, addr.Equals(back))
		require.Equal(t, []byte(addr), back.Bytes())

		// BIP-173 allows all-upper-case (e.g. QR codes).
		up, err := AddressFromBech32(strings.ToUpper(s))
		require.NoError(t, err)
		require.True(t, addr.Equals(up))
	}
}

func TestAddressKnownVector(t *testing.T) {
	// Zero bytes under "self": pins the bech32 encoding itself (checked
	// against the BIP-173 reference implementation).
	zero := Address(make([]byte, AddressLen))
	require.Equal(t, "self1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqkgarf5", zero.String())
}

func TestAddressFromBech32Errors(t *testing.T) {
	addr := ModuleAddress("fee_collector")
	good := addr.String()
	// Change one data character to break the checksum.
	badSum := good[:10] + string(flipChar(good[10])) + good[11:]
	conv, _ := bech32.ConvertBits(addr, 8, 5, true)
	bech32m, err := bech32.EncodeM("self", conv)
	require.NoError(t, err)
	// 33 five-bit groups = 165 bits: 5 leftover bits is invalid padding.
	padBad, err := bech32.Encode("self", append(conv, 1))
	require.NoError(t, err)

	cases := []struct {
		name, in, want string
	}{
		{"empty", "", "invalid address: empty"},
		{"bad checksum", badSum, "bad checksum"},
		{"bech32m checksum", bech32m, "bad checksum (bech32m, want bech32)"},
		{"wrong prefix", encodeRaw(t, "cosmos", addr), `wrong prefix "cosmos" (want "self")`},
		{"wrong length long", encodeRaw(t, "self", make([]byte, 32)), "wrong length: 32 bytes (want 20)"},
		{"wrong length short", encodeRaw(t, "self", make([]byte, 19)), "wrong length: 19 bytes (want 20)"},
		{"no data", encodeRaw(t, "self", nil), "wrong length: 0 bytes (want 20)"},
		{"bad padding", padBad, "bad data padding"},
		{"mixed case", "Self" + good[4:], "not bech32"},
		{"no separator", "selfqqqqqqqqqqq", "not bech32"},
		{"non-charset char", good[:8] + "b" + good[9:], "not bech32"},
		{"too short", "self1", "not bech32"},
		{"too long", "self1" + strings.Repeat("q", 100), "not bech32"},
		{"space", " " + good, "not bech32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := AddressFromBech32(c.in)
			require.Error(t, err)
			require.Nil(t, a)
			require.ErrorIs(t, err, ErrInvalidAddress)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

func flipChar(c byte) byte {
	if c == 'q' {
		return 'p'
	}
	return 'q'
}

func TestBech32PrefixSetter(t *testing.T) {
	addr := ModuleAddress("x")
	selfStr := addr.String()
	require.Equal(t, "self", GetBech32Prefix())

	require.NoError(t, SetBech32Prefix("zeta"))
	t.Cleanup(func() { require.NoError(t, SetBech32Prefix(Bech32Prefix)) })
	require.Equal(t, "zeta", GetBech32Prefix())
	zs := addr.String()
	require.True(t, strings.HasPrefix(zs, "zeta1"))
	back, err := AddressFromBech32(zs)
	require.NoError(t, err)
	require.True(t, addr.Equals(back))
	_, err = AddressFromBech32(selfStr)
	require.ErrorContains(t, err, `wrong prefix "self" (want "zeta")`)

	for _, bad := range []string{"", "Self", "1self", "se lf", "self!", strings.Repeat("a", 33)} {
		require.Error(t, SetBech32Prefix(bad), bad)
	}
	require.Equal(t, "zeta", GetBech32Prefix(), "failed set must not change the prefix")
}

func TestAddressHelpers(t *testing.T) {
	var empty Address
	require.True(t, empty.Empty())
	require.Equal(t, "", empty.String())
	require.False(t, ModuleAddress("a").Empty())
	require.True(t, ModuleAddress("a").Equals(ModuleAddress("a")))
	require.False(t, ModuleAddress("a").Equals(ModuleAddress("b")))

	want := sha256.Sum256([]byte("module\x00fee_collector"))
	require.Equal(t, want[:20], ModuleAddress("fee_collector").Bytes())

	pub := bytes.Repeat([]byte{1}, 32)
	wantPub := sha256.Sum256(append([]byte("ed25519\x00"), pub...))
	require.Equal(t, wantPub[:20], PubKeyAddress(KeyTypeEd25519, pub).Bytes())

	a, err := AddressFromBytes(want[:20])
	require.NoError(t, err)
	require.True(t, a.Equals(ModuleAddress("fee_collector")))
	_, err = AddressFromBytes(want[:])
	require.ErrorContains(t, err, "wrong length: 32 bytes (want 20)")
}

func TestAddressJSON(t *testing.T) {
	type doc struct {
		From Address `json:"from"`
		To   Address `json:"to"`
	}
	in := doc{From: ModuleAddress("a")}
	out, err := json.Marshal(in)
	require.NoError(t, err)
	require.JSONEq(t, `{"from":"`+in.From.String()+`","to":""}`, string(out))

	var got doc
	require.NoError(t, json.Unmarshal(out, &got))
	require.True(t, got.From.Equals(in.From))
	require.True(t, got.To.Empty())

	require.NoError(t, json.Unmarshal([]byte(`{"from":null}`), &got))
	require.True(t, got.From.Equals(in.From), "null leaves the value unchanged")

	err = json.Unmarshal([]byte(`{"from":"cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"}`), &got)
	require.ErrorIs(t, err, ErrInvalidAddress)
	err = json.Unmarshal([]byte(`{"from":42}`), &got)
	require.ErrorIs(t, err, ErrInvalidAddress)
}

func FuzzAddressFromBech32(f *testing.F) {
	f.Add(ModuleAddress("fee_collector").String())
	f.Add(strings.ToUpper(ModuleAddress("x").String()))
	f.Add("self1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqkgarf5")
	f.Add("")
	f.Add("self1")
	f.Add("cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqkgarf5")
	f.Add("Self1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqkgarf5")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := AddressFromBech32(s)
		if err != nil {
			require.Nil(t, a)
			return
		}
		require.Len(t, a, AddressLen)
		// A parsed address has exactly one canonical (lower-case) spelling.
		require.Equal(t, strings.ToLower(s), a.String())
	})
}
