package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/cloudflare/circl/sign/slhdsa"
	"github.com/stretchr/testify/require"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// TestSLHDSAKeyGenACVP checks our keygen (slhKeyFromMaterial, which
// PrivKeyFromSeed feeds with HKDF output) against NIST's ACVP SLH-DSA keyGen
// vector (FIPS205, SLH-DSA-SHA2-128s, tcId 1), copied from circl v1.6.3
// sign/slhdsa/testdata/keyGen_prompt.json.gz and keyGen_results.json.gz.
func TestSLHDSAKeyGenACVP(t *testing.T) {
	const (
		skSeed = "ac379f047faab2004f3ae32350ac9a3d"
		skPrf  = "829fff0aa59e956a87f3971c4d58e710"
		pkSeed = "0566d240cc519834322eafbcc73c79f5"
		pk     = "0566d240cc519834322eafbcc73c79f5a4b84f02e8bf0cbd54017b2d3c494b57"
	)
	k, err := slhKeyFromMaterial(mustHex(t, skSeed+skPrf+pkSeed))
	require.NoError(t, err)
	require.Equal(t, pk, hex.EncodeToString(k.pub.raw))
	sk, err := k.sk.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, skSeed+skPrf+pk, hex.EncodeToString(sk))
}

// TestSLHDSAVerifyACVP runs one ACVP sigVer vector (slhdsa_acvp_vector_test.go)
// through our verifier, with the vector's context in place of ours.
func TestSLHDSAVerifyACVP(t *testing.T) {
	pub, err := newSLHPub(mustHex(t, acvpSLHVerifyPK))
	require.NoError(t, err)
	msg, ctx, sig := mustHex(t, acvpSLHVerifyMsg), mustHex(t, acvpSLHVerifyCtx), mustHex(t, acvpSLHVerifySig)
	require.Len(t, sig, slhSigSize)
	require.True(t, pub.verify(msg, ctx, sig))

	// The same signature fails under our domain and when anything changes.
	require.False(t, pub.verify(msg, slhdsaContext, sig))
	require.False(t, pub.verify(msg[1:], ctx, sig))
	bad := bytes.Clone(sig)
	bad[len(bad)/2] ^= 0x10
	require.False(t, pub.verify(msg, ctx, bad))
	require.False(t, pub.verify(msg, ctx, sig[:len(sig)-1]))
}

// TestSLHDSASigGenACVP signs one ACVP deterministic sigGen vector (FIPS205,
// SLH-DSA-SHA2-128s, external/pure, tgId 19, tcId 163, copied from circl
// v1.6.3 sign/slhdsa/testdata/sigGen_*.json.gz) and compares the SHA-256 of
// the signature. It signs once (~0.5 s), so -short skips it.
func TestSLHDSASigGenACVP(t *testing.T) {
	if testing.Short() {
		t.Skip("SLH-DSA signing is slow")
	}
	const (
		sk        = "4678d1f07c682516f24fdf63ae47241be4acda3ef56150c458c6bc477f14e75ea8b8365a9fc2a6877d2a6237c687ab41e38f37e0274fffbd77655a1db6c446c1"
		msg       = "1b"
		ctx       = "caa7b50b2763d195bfa1e5793e17a7cd5dfbd8a163bf6d876cec512cfc97aa9d1d76e7700cbacd1f2d8371766fdfae3cb0ea"
		sigSHA256 = "0d6dc439e181e2a50ecdc4d6e9dcd7a0644feafebc0e6138a78a91cb748bb22c"
	)
	skb := mustHex(t, sk)
	k, err := slhKeyFromMaterial(skb[:slhKeygenBytes])
	require.NoError(t, err)
	require.Equal(t, skb[2*16:], k.pub.raw, "keygen reproduces the vector's PK.seed ‖ PK.root")

	sig, err := slhdsa.SignDeterministic(&k.sk, slhdsa.NewMessage(mustHex(t, msg)), mustHex(t, ctx))
	require.NoError(t, err)
	got := sha256.Sum256(sig)
	require.Equal(t, sigSHA256, hex.EncodeToString(got[:]))
	require.True(t, k.pub.verify(mustHex(t, msg), mustHex(t, ctx), sig))
}

// TestSLHDSASeedExpansion pins how a 32-byte seed becomes FIPS 205 keygen
// input: HKDF-SHA256(seed, no salt, "selfchain/slhdsa/v1/keygen", 48 bytes).
func TestSLHDSASeedExpansion(t *testing.T) {
	seed := fixtureSeed()
	material, err := expandSeed(seed, "selfchain/slhdsa/v1/keygen", 48)
	require.NoError(t, err)
	require.Equal(t, rfc5869(seed, nil, "selfchain/slhdsa/v1/keygen"), material[:32], "first HKDF block")
	k, err := slhKeyFromMaterial(material)
	require.NoError(t, err)
	require.Equal(t, k.pub.raw, getFixture(t, KeyTypeSLHDSA).pub.Bytes())
	require.Equal(t, material[32:], k.pub.raw[:16], "PK.seed is the last 16 bytes")
}
