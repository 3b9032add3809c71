package crypto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	bip39 "github.com/cosmos/go-bip39"
	"github.com/stretchr/testify/require"
)

// testMnemonic is the BIP-39 vector for 256 bits of zero entropy.
const testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon " +
	"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art"

func TestNewMnemonic(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		m, err := NewMnemonic()
		require.NoError(t, err)
		require.Len(t, strings.Fields(m), 24)
		require.NoError(t, ValidateMnemonic(m))
		require.False(t, seen[m])
		seen[m] = true
	}
}

func TestValidateMnemonicErrors(t *testing.T) {
	words := strings.Fields(testMnemonic)
	cases := map[string]struct{ in, want string }{
		"empty":        {"", "0 words"},
		"13 words":     {strings.Join(words[:13], " "), "13 words"},
		"unknown":      {strings.Join(append(append([]string{}, words[:5]...), append([]string{"notaword"}, words[6:]...)...), " "), "word 6 is not in"},
		"upper case":   {strings.ToUpper(testMnemonic), "word 1 is not in"},
		"checksum":     {strings.Join(append(append([]string{}, words[:23]...), "abandon"), " "), "bad checksum"},
		"out of order": {"art " + strings.Join(words[:23], " "), "bad checksum"},
	}
	for name, c := range cases {
		err := ValidateMnemonic(c.in)
		require.ErrorIs(t, err, ErrInvalidMnemonic, name)
		require.ErrorContains(t, err, c.want, name)
		require.NotContains(t, err.Error(), "notaword", "errors must not echo words")
	}
	require.NoError(t, ValidateMnemonic("  "+strings.ReplaceAll(testMnemonic, " ", " \n\t")+"\n"))
}

// TestBIP39SeedVector checks the library against the official BIP-39 vector
// (abandon×11 about, passphrase "TREZOR").
func TestBIP39SeedVector(t *testing.T) {
	m := "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	want := "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
	require.Equal(t, want, hex.EncodeToString(bip39.NewSeed(m, "TREZOR")))
}

// rfc5869 is an independent HKDF-SHA256 (extract then one expand block),
// so the derivation vector below is not only checked against itself.
func rfc5869(ikm, salt []byte, info string) []byte {
	ext := hmac.New(sha256.New, salt)
	ext.Write(ikm)
	prk := ext.Sum(nil)
	exp := hmac.New(sha256.New, prk)
	exp.Write([]byte(info))
	exp.Write([]byte{1})
	return exp.Sum(nil)
}

// The expected values were computed once with this code and are fixed
// here: if they change, every user's keys change.
func TestDeriveKeyVector(t *testing.T) {
	const (
		wantPub0  = "3a643204077f25c46c5e6d252717349e3907db99660b50b80dc91d0a87df5ce8"
		wantAddr0 = "self1hvt8jyr674qs2kaq4ejj46yddtl6kqaa0npexz"
	)
	k, err := DeriveKey(KeyTypeEd25519, testMnemonic, "", 0)
	require.NoError(t, err)
	require.Equal(t, KeyTypeEd25519, k.Type())

	seed := bip39.NewSeed(testMnemonic, "")
	require.Equal(t, rfc5869(seed, []byte("selfchain-key-derivation"), "selfchain/ed25519/0"), k.Bytes())

	require.Equal(t, wantPub0, hex.EncodeToString(k.PubKey().Bytes()))
	require.Equal(t, wantAddr0, k.PubKey().Address().String())

	// Deterministic, and whitespace in the mnemonic does not matter.
	k2, err := DeriveKey(KeyTypeEd25519, "\n "+strings.ReplaceAll(testMnemonic, " ", "  ")+" ", "", 0)
	require.NoError(t, err)
	require.Equal(t, k.Bytes(), k2.Bytes())

	// Index and BIP-39 passphrase each give a different key.
	k3, err := DeriveKey(KeyTypeEd25519, testMnemonic, "", 1)
	require.NoError(t, err)
	require.Equal(t, rfc5869(seed, []byte("selfchain-key-derivation"), "selfchain/ed25519/1"), k3.Bytes())
	require.NotEqual(t, k.Bytes(), k3.Bytes())
	k4, err := DeriveKey(KeyTypeEd25519, testMnemonic, "extra", 0)
	require.NoError(t, err)
	require.NotEqual(t, k.Bytes(), k4.Bytes())
}

func TestDeriveKeyErrors(t *testing.T) {
	_, err := DeriveKey("nope", testMnemonic, "", 0)
	require.ErrorIs(t, err, ErrUnknownKeyType)
	_, err = DeriveKey(KeyTypeEd25519, "abandon abandon", "", 0)
	require.ErrorIs(t, err, ErrInvalidMnemonic)
}

// TestDeriveKeyVectorsAllSchemes pins, for every key type, the key derived
// from testMnemonic (no passphrase) at indexes 0 and 1: SHA-256 of the public
// key and the addresses. Computed once with this code; if they change, every
// user's keys change.
func TestDeriveKeyVectorsAllSchemes(t *testing.T) {
	vectors := []struct{ keyType, pubSHA256, addr0, addr1 string }{
		{"ed25519", "74ce771fe0246c5cd09dce7788b3ce8fd2bc2b8209d816550c6269e3c45cb366", "self1hvt8jyr674qs2kaq4ejj46yddtl6kqaa0npexz", "self13mj6n8ffvulux4r5l3xj43exzugw4sjxg7nsm8"},
		{"hybrid", "9d2aeaecad07b02402d3f377f8ede0cf30e2c656c8d11b54137f4058b21f3537", "self1neh5vpd958gmhsf98a08tapu2gq5ue7revxy5y", "self1j3e9ck54vue29cuupdwrz9ff8thszlmqklpdau"},
		{"hybrid-slh", "39155f7df8fbff87a80302853f9978a22d3f214843fa1ada51c2342e71534865", "self18hpatx3p5tzqcegd63s85z5ls8gyf6ky0qum2z", "self1xa0vkzfa660n7ggk9qdlgmny79dsn2n248dmay"},
		{"mldsa65", "d4ec579af2aae7653b922dd0a48201121e35cd24b7587ca3b93e273703996f00", "self1qtc7hect87zc75rlt3nd8aml7dz9qncrykzq37", "self1w3zxj7p0kwmhv3tmy647hhws6mqarnm9pqwmen"},
		{"slhdsa", "394a7da127af04935c109d5b404684b0d6e7b504b7a8cb443c558dc4a23169d2", "self1mg5lhaeuvmhjrsfjj2j6tqgf4htquhcr3aw5u9", "self14gt2vcpkxpqa900p27skhh37djgzvfqqfgtpv3"},
	}
	seed := bip39.NewSeed(testMnemonic, "")
	for _, v := range vectors {
		k0, err := DeriveKey(v.keyType, testMnemonic, "", 0)
		require.NoError(t, err)
		require.Equal(t, v.keyType, k0.Type())
		// Every scheme stores the derived 32-byte seed as its private key.
		require.Equal(t, rfc5869(seed, []byte("selfchain-key-derivation"), "selfchain/"+v.keyType+"/0"), k0.Bytes(), v.keyType)
		pub := sha256.Sum256(k0.PubKey().Bytes())
		require.Equal(t, v.pubSHA256, hex.EncodeToString(pub[:]), v.keyType)
		require.Equal(t, v.addr0, k0.PubKey().Address().String(), v.keyType)
		k1, err := DeriveKey(v.keyType, testMnemonic, "", 1)
		require.NoError(t, err)
		require.Equal(t, v.addr1, k1.PubKey().Address().String(), v.keyType)
	}
}
