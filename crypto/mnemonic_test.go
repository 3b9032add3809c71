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
