package crypto

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/stretchr/testify/require"
)

// TestCrossSchemeSignatures: a signature valid under one scheme verifies
// under no other, whether the other key comes from the same seed or is the
// signer's own key bytes read as another type (ed25519 and slhdsa keys are
// both 32 bytes).
func TestCrossSchemeSignatures(t *testing.T) {
	for _, signer := range realSchemes {
		sf := getFixture(t, signer)
		for _, verifier := range realSchemes {
			if verifier == signer {
				continue
			}
			vf := getFixture(t, verifier)
			require.False(t, vf.pub.VerifySignature(fixtureMsg, sf.sig), "%s signature accepted by %s key", signer, verifier)
			if pk, err := PubKeyFromTyped(verifier, sf.pub.Bytes()); err == nil {
				require.False(t, pk.VerifySignature(fixtureMsg, sf.sig), "%s signature accepted by its key bytes read as %s", signer, verifier)
			}
		}
	}
}

// TestTamperedSignatures: truncated, extended and bit-flipped signatures are
// rejected, for every scheme and at the edges of every hybrid half.
func TestTamperedSignatures(t *testing.T) {
	for _, name := range realSchemes {
		f := getFixture(t, name)
		n := len(f.sig)
		cases := map[string][]byte{
			"empty":       nil,
			"one byte":    f.sig[:1],
			"half":        f.sig[:n/2],
			"minus one":   f.sig[:n-1],
			"plus zero":   append(bytes.Clone(f.sig), 0),
			"doubled":     append(bytes.Clone(f.sig), f.sig...),
			"all zero":    make([]byte, n),
			"ed repeated": append(bytes.Clone(f.sig[:ed25519.SignatureSize]), f.sig...),
		}
		if n > ed25519.SignatureSize { // the halves of a hybrid, alone
			cases["first 64 bytes"] = f.sig[:ed25519.SignatureSize]
			cases["without first 64"] = f.sig[ed25519.SignatureSize:]
		}
		for _, pos := range []int{0, 1, 31, 32, 63, 64, 65, n / 2, n - 2, n - 1} {
			if pos < n {
				for _, bit := range []byte{0x01, 0x80} {
					b := bytes.Clone(f.sig)
					b[pos] ^= bit
					cases[fmt.Sprintf("flip byte %d bit %#x", pos, bit)] = b
				}
			}
		}
		for what, sig := range cases {
			require.False(t, f.pub.VerifySignature(fixtureMsg, sig), "%s: %s", name, what)
		}
		require.True(t, f.pub.VerifySignature(fixtureMsg, f.sig), "%s: the original still verifies", name)
	}
}

// TestTamperedPublicKeys: any bytes of the right length decode (no scheme
// here has invalid public key encodings we could reject cheaply), but a
// changed key verifies nothing; wrong lengths do not decode.
func TestTamperedPublicKeys(t *testing.T) {
	for _, name := range realSchemes {
		f := getFixture(t, name)
		raw := f.pub.Bytes()
		n := len(raw)
		for _, pos := range []int{0, 15, 16, 31, 32, 33, n / 2, n - 1} {
			if pos >= n {
				continue
			}
			b := bytes.Clone(raw)
			b[pos] ^= 0x04
			pk, err := PubKeyFromTyped(name, b)
			if err != nil {
				continue
			}
			require.False(t, pk.VerifySignature(fixtureMsg, f.sig), "%s: pubkey byte %d flipped", name, pos)
			require.NotEqual(t, f.pub.Address(), pk.Address())
		}
		for _, b := range [][]byte{raw[:n-1], append(bytes.Clone(raw), 0), raw[1:], nil} {
			_, err := PubKeyFromTyped(name, b)
			require.ErrorIs(t, err, ErrInvalidKey, name)
		}
	}
}

// TestContextSeparation: a signature made under another FIPS 204/205
// context than the scheme's own is rejected, and with the scheme's own
// context (made with circl directly) it is accepted.
func TestContextSeparation(t *testing.T) {
	f := getFixture(t, KeyTypeMLDSA65)
	c := f.priv.(mldsa65PrivKey).c
	sign := func(ctx []byte) []byte {
		sig := make([]byte, mldsa65.SignatureSize)
		require.NoError(t, mldsa65.SignTo(c.sk, fixtureMsg, ctx, false, sig))
		return sig
	}
	require.True(t, f.pub.VerifySignature(fixtureMsg, sign([]byte("selfchain/mldsa65/v1"))))
	for _, ctx := range []string{"", "selfchain/mldsa65/v2", "selfchain/hybrid/v1", "selfchain/slhdsa/v1"} {
		require.False(t, f.pub.VerifySignature(fixtureMsg, sign([]byte(ctx))), "context %q", ctx)
	}

	if testing.Short() {
		return // the SLH-DSA half of this test signs (~0.5 s)
	}
	sf := getFixture(t, KeyTypeSLHDSA)
	sc := sf.priv.(slhdsaPrivKey).c
	sig := make([]byte, slhSigSize)
	require.NoError(t, sc.signTo(sig, fixtureMsg, nil))
	require.False(t, sf.pub.VerifySignature(fixtureMsg, sig), "empty context")
	require.True(t, sc.pub.verify(fixtureMsg, nil, sig), "and that signature is otherwise valid")
}
