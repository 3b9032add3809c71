package crypto

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/stretchr/testify/require"
)

// hybridCase is one hybrid key type with its standalone PQ counterpart.
type hybridCase struct {
	spec     *hybridSpec
	pqScheme string
}

var hybridCases = []hybridCase{{hybridMLDSA, KeyTypeMLDSA65}, {hybridSLH, KeyTypeSLHDSA}}

// componentKeys builds standalone ed25519 and PQ keys from the component
// seeds of the fixture hybrid key: the very same key pairs as its halves.
func componentKeys(t *testing.T, h hybridCase) (ed, pq PrivKey) {
	t.Helper()
	seed := fixtureSeed()
	edSeed, err := expandSeed(seed, h.spec.edLabel, SeedSize)
	require.NoError(t, err)
	pqSeed, err := expandSeed(seed, h.spec.pqLabel, SeedSize)
	require.NoError(t, err)
	ed, err = PrivKeyFromTyped(KeyTypeEd25519, edSeed)
	require.NoError(t, err)
	pq, err = PrivKeyFromTyped(h.pqScheme, pqSeed)
	require.NoError(t, err)
	hpub := getFixture(t, h.spec.name).pub.Bytes()
	require.Equal(t, hpub[:32], ed.PubKey().Bytes(), "hybrid pk = ed25519 pk ‖ PQ pk")
	require.Equal(t, hpub[32:], pq.PubKey().Bytes())
	return ed, pq
}

func TestHybridComponentDerivation(t *testing.T) {
	// The Ed25519 half's seed is HKDF-SHA256(seed, no salt, label): checked
	// with the independent HKDF in mnemonic_test.go.
	for _, h := range hybridCases {
		ed, _ := componentKeys(t, h)
		require.Equal(t, rfc5869(fixtureSeed(), nil, h.spec.edLabel), ed.Bytes(), h.spec.name)
	}
}

// TestHybridHalvesAreNotStandalone: with the same component keys, neither
// half of a hybrid signature is a standalone signature of the message, and
// standalone signatures glued together are no hybrid signature.
func TestHybridHalvesAreNotStandalone(t *testing.T) {
	for _, h := range hybridCases {
		t.Run(h.spec.name, func(t *testing.T) {
			f := getFixture(t, h.spec.name)
			ed, pq := componentKeys(t, h)
			edHalf, pqHalf := f.sig[:ed25519.SignatureSize], f.sig[ed25519.SignatureSize:]

			require.False(t, ed.PubKey().VerifySignature(fixtureMsg, edHalf), "ed half as ed25519")
			require.False(t, pq.PubKey().VerifySignature(fixtureMsg, pqHalf), "PQ half as %s", h.pqScheme)
			// What the halves do sign: the domain-separated message.
			require.True(t, ed.PubKey().VerifySignature(append([]byte(h.spec.edPrefix), fixtureMsg...), edHalf))

			// Standalone signatures by the same keys, concatenated.
			edSig, err := ed.Sign(fixtureMsg)
			require.NoError(t, err)
			require.False(t, f.pub.VerifySignature(fixtureMsg, append(bytes.Clone(edSig), pqHalf...)), "standalone ed half")
			if h.pqScheme == KeyTypeSLHDSA && testing.Short() {
				return // one more SLH-DSA signature (~0.5 s)
			}
			pqSig, err := pq.Sign(fixtureMsg)
			require.NoError(t, err)
			require.False(t, f.pub.VerifySignature(fixtureMsg, append(bytes.Clone(edHalf), pqSig...)), "standalone PQ half")
			require.False(t, f.pub.VerifySignature(fixtureMsg, append(bytes.Clone(edSig), pqSig...)), "both standalone")
			require.True(t, pq.PubKey().VerifySignature(fixtureMsg, pqSig), "the standalone signature itself is fine")
		})
	}
}

// TestHybridOneHalfInvalid: a hybrid signature needs both halves.
func TestHybridOneHalfInvalid(t *testing.T) {
	for _, h := range hybridCases {
		t.Run(h.spec.name, func(t *testing.T) {
			f := getFixture(t, h.spec.name)
			k := f.priv.(hybridPrivKey)
			edHalf, pqHalf := f.sig[:ed25519.SignatureSize], f.sig[ed25519.SignatureSize:]
			other := []byte("another message")
			edOther := ed25519.Sign(k.ed, append([]byte(h.spec.edPrefix), other...))
			edNoPrefix := ed25519.Sign(k.ed, fixtureMsg)
			otherPrefix := hybridMLDSA.edPrefix
			if h.spec == hybridMLDSA {
				otherPrefix = hybridSLH.edPrefix
			}
			edWrongDomain := ed25519.Sign(k.ed, append([]byte(otherPrefix), fixtureMsg...))
			pqFlipped := bytes.Clone(pqHalf)
			pqFlipped[len(pqFlipped)/3] ^= 0x20

			cases := map[string][]byte{
				"ed valid, PQ flipped":        append(bytes.Clone(edHalf), pqFlipped...),
				"ed valid, PQ zero":           append(bytes.Clone(edHalf), make([]byte, len(pqHalf))...),
				"ed of other msg, PQ valid":   append(bytes.Clone(edOther), pqHalf...),
				"ed zero, PQ valid":           append(make([]byte, ed25519.SignatureSize), pqHalf...),
				"ed without prefix, PQ valid": append(bytes.Clone(edNoPrefix), pqHalf...),
				"ed other hybrid's prefix":    append(bytes.Clone(edWrongDomain), pqHalf...),
			}
			for what, sig := range cases {
				require.False(t, f.pub.VerifySignature(fixtureMsg, sig), what)
			}
			// Control: re-assembling the valid halves verifies.
			require.True(t, f.pub.VerifySignature(fixtureMsg, append(bytes.Clone(edHalf), pqHalf...)))

			if h.spec == hybridMLDSA { // cheap to sign: mix halves of two valid signatures
				sig2, err := f.priv.Sign(other)
				require.NoError(t, err)
				require.True(t, f.pub.VerifySignature(other, sig2))
				mixA := append(bytes.Clone(edHalf), sig2[ed25519.SignatureSize:]...)
				mixB := append(bytes.Clone(sig2[:ed25519.SignatureSize]), pqHalf...)
				for _, m := range [][]byte{fixtureMsg, other} {
					require.False(t, f.pub.VerifySignature(m, mixA))
					require.False(t, f.pub.VerifySignature(m, mixB))
				}
			}
		})
	}
}
