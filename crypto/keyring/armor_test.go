package keyring

import (
	"strings"
	"testing"

	"github.com/selfchain/selfchain/crypto"
	"github.com/stretchr/testify/require"
)

func TestArmorRoundTripAndFormat(t *testing.T) {
	priv, err := crypto.DeriveKey(crypto.KeyTypeEd25519, testMnemonic, "", 0)
	require.NoError(t, err)
	armor, err := encodeArmor(priv, "export-pass")
	require.NoError(t, err)

	lines := strings.Split(strings.TrimSpace(armor), "\n")
	require.Equal(t, armorBegin, lines[0])
	require.Equal(t, "Version: 1", lines[1])
	require.Equal(t, "Type: ed25519", lines[2])
	require.Equal(t, "", lines[3])
	require.Equal(t, armorEnd, lines[len(lines)-1])
	for _, l := range lines[4 : len(lines)-1] {
		require.LessOrEqual(t, len(l), armorLineLen)
	}

	back, err := decodeArmor(armor, "export-pass")
	require.NoError(t, err)
	require.Equal(t, priv.Bytes(), back.Bytes())

	// CRLF line endings and surrounding whitespace are tolerated.
	back, err = decodeArmor("\n  "+strings.ReplaceAll(armor, "\n", "\r\n")+"\n", "export-pass")
	require.NoError(t, err)
	require.Equal(t, priv.Bytes(), back.Bytes())
}

func TestArmorErrors(t *testing.T) {
	priv, err := crypto.DeriveKey(crypto.KeyTypeEd25519, testMnemonic, "", 0)
	require.NoError(t, err)
	armor, err := encodeArmor(priv, "export-pass")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(armor), "\n")
	body := lines[4]
	flipped := body[:10] + string(rune(body[10]^1)) + body[11:]

	cases := map[string]struct{ in, want string }{
		"empty":          {"", "missing"},
		"garbage":        {"hello", "not a SELF Chain private key armor"},
		"no end":         {strings.Join(lines[:len(lines)-1], "\n"), "missing \"" + armorEnd},
		"type header":    {strings.Replace(armor, "Type: ed25519", "Type: mldsa65", 1), `Type header "mldsa65"`},
		"version header": {strings.Replace(armor, "Version: 1", "Version: 2", 1), `Version header "2"`},
		"bad header":     {strings.Replace(armor, "Version: 1", "Version 1", 1), "bad header line"},
		"bad base64":     {strings.Replace(armor, body, body+"!", 1), "bad base64"},
		"altered body":   {strings.Replace(armor, body, flipped, 1), ""},
	}
	for name, c := range cases {
		_, err := decodeArmor(c.in, "export-pass")
		require.Error(t, err, name)
		require.ErrorContains(t, err, c.want, name)
	}

	_, err = decodeArmor(armor, "wrong-pass")
	require.ErrorIs(t, err, ErrWrongPassphrase)
}

func TestSealedBoxLimits(t *testing.T) {
	box, err := lockWithPassphrase(testPass, []byte("secret"), []byte("aad"))
	require.NoError(t, err)
	pt, err := box.open(testPass, []byte("aad"))
	require.NoError(t, err)
	require.Equal(t, "secret", string(pt))
	_, err = box.open(testPass, []byte("other aad"))
	require.ErrorIs(t, err, errOpen)

	for name, mutate := range map[string]func(b *sealedBox){
		"kdf":    func(b *sealedBox) { b.KDF = "scrypt" },
		"cipher": func(b *sealedBox) { b.Cipher = "aes-gcm" },
		"memory": func(b *sealedBox) { b.MemoryKiB = maxArgonMemoryKiB + 1 },
		"time":   func(b *sealedBox) { b.Time = 0 },
		"salt":   func(b *sealedBox) { b.Salt = b.Salt[:4] },
		"nonce":  func(b *sealedBox) { b.Nonce = b.Nonce[:12] },
	} {
		c := *box
		mutate(&c)
		_, err := c.open(testPass, []byte("aad"))
		require.Error(t, err, name)
		require.NotErrorIs(t, err, errOpen, name)
	}
}
