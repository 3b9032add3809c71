package crypto

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/stretchr/testify/require"
)

func TestEd25519SignVerify(t *testing.T) {
	priv, err := GenerateKey(KeyTypeEd25519)
	require.NoError(t, err)
	pub := priv.PubKey()
	require.Equal(t, KeyTypeEd25519, priv.Type())
	require.Equal(t, KeyTypeEd25519, pub.Type())
	require.Len(t, pub.Bytes(), 32)
	require.Len(t, priv.Bytes(), 32)

	msg := []byte("transfer 10 SELF")
	sig, err := priv.Sign(msg)
	require.NoError(t, err)
	require.Len(t, sig, 64)
	require.True(t, pub.VerifySignature(msg, sig))

	require.False(t, pub.VerifySignature([]byte("transfer 11 SELF"), sig), "wrong message")
	bad := bytes.Clone(sig)
	bad[10] ^= 1
	require.False(t, pub.VerifySignature(msg, bad), "flipped bit")
	require.False(t, pub.VerifySignature(msg, sig[:63]), "short sig")
	require.False(t, pub.VerifySignature(msg, append(bytes.Clone(sig), 0)), "long sig")
	require.False(t, pub.VerifySignature(msg, nil), "nil sig")

	other, err := GenerateKey(KeyTypeEd25519)
	require.NoError(t, err)
	require.False(t, other.PubKey().VerifySignature(msg, sig), "other key")
	require.False(t, pub.Equals(other.PubKey()))
	require.False(t, pub.Equals(nil))
}

func TestEd25519RoundTrip(t *testing.T) {
	priv, err := GenerateKey(KeyTypeEd25519)
	require.NoError(t, err)

	priv2, err := PrivKeyFromTyped(KeyTypeEd25519, priv.Bytes())
	require.NoError(t, err)
	require.True(t, priv.PubKey().Equals(priv2.PubKey()))

	pub2, err := PubKeyFromTyped(priv.PubKey().Type(), priv.PubKey().Bytes())
	require.NoError(t, err)
	require.True(t, pub2.Equals(priv.PubKey()))
	require.Equal(t, priv.PubKey().Address(), pub2.Address())
	require.Equal(t, PubKeyAddress(KeyTypeEd25519, pub2.Bytes()), pub2.Address())

	// Signing is deterministic (RFC 8032), so a decoded key signs identically.
	s1, _ := priv.Sign([]byte("m"))
	s2, _ := priv2.Sign([]byte("m"))
	require.Equal(t, s1, s2)
}

func TestEd25519BytesAreCopies(t *testing.T) {
	priv, err := GenerateKey(KeyTypeEd25519)
	require.NoError(t, err)
	pub := priv.PubKey()
	addr := pub.Address()

	b := pub.Bytes()
	b[0] ^= 0xff
	require.Equal(t, addr, pub.Address(), "mutating Bytes() must not change the key")

	raw := priv.PubKey().Bytes()
	pub2, err := PubKeyFromTyped(KeyTypeEd25519, raw)
	require.NoError(t, err)
	raw[0] ^= 0xff
	require.Equal(t, addr, pub2.Address(), "constructor must copy its input")
}

func TestTypedKeyErrors(t *testing.T) {
	_, err := PubKeyFromTyped("x", make([]byte, 32))
	require.ErrorIs(t, err, ErrUnknownKeyType)
	require.Contains(t, err.Error(), `unknown key type "x" (known: `)
	require.Contains(t, err.Error(), KeyTypeEd25519)

	_, err = PubKeyFromTyped(KeyTypeEd25519, make([]byte, 31))
	require.ErrorIs(t, err, ErrInvalidKey)
	require.Contains(t, err.Error(), "must be 32 bytes, got 31")

	_, err = PubKeyFromTyped(KeyTypeEd25519, nil)
	require.ErrorIs(t, err, ErrInvalidKey)

	_, err = PrivKeyFromTyped(KeyTypeEd25519, make([]byte, 64))
	require.ErrorIs(t, err, ErrInvalidKey)
	require.Contains(t, err.Error(), "must be 32 bytes, got 64")

	_, err = PrivKeyFromTyped("nope", make([]byte, 32))
	require.ErrorIs(t, err, ErrUnknownKeyType)

	_, err = GenerateKey("nope")
	require.ErrorIs(t, err, ErrUnknownKeyType)
}

func TestPrivKeyIsRedacted(t *testing.T) {
	priv, err := GenerateKey(KeyTypeEd25519)
	require.NoError(t, err)
	hexSeed := fmt.Sprintf("%x", priv.Bytes())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		out := fmt.Sprintf(verb, priv)
		require.NotContains(t, out, hexSeed, verb)
		if verb != "%x" { // %x hex-encodes String()
			require.True(t, strings.Contains(out, "redacted"), verb)
		}
	}
}

// A small-order Ed25519 public key has no private key, and signatures that
// verify under it can be made without one: it is refused alone and as the
// Ed25519 half of a hybrid key. (The all-zero key with an all-zero signature
// verified "0000" under Go's ed25519.Verify; FuzzVerify found it.)
func TestSmallOrderEd25519KeysRefused(t *testing.T) {
	zero := make([]byte, 32)
	require.True(t, ed25519.Verify(zero, []byte("0000"), make([]byte, 64)), "the weakness this guards against")
	identity := append([]byte{1}, make([]byte, 31)...) // the neutral point
	for _, weak := range [][]byte{zero, identity} {
		_, err := PubKeyFromTyped(KeyTypeEd25519, weak)
		require.ErrorIs(t, err, ErrInvalidKey)
		require.ErrorContains(t, err, "small-order")
		h, _ := Scheme(KeyTypeHybrid)
		hyb := fit(nil, h.PubKeySize)
		copy(hyb[32:], fixtureKeys(t, KeyTypeHybrid).pub.Bytes()[32:])
		copy(hyb, weak)
		_, err = PubKeyFromTyped(KeyTypeHybrid, hyb)
		require.ErrorContains(t, err, "small-order")
	}
	// An ordinary key is untouched.
	_, err := PubKeyFromTyped(KeyTypeEd25519, fixtureKeys(t, KeyTypeEd25519).pub.Bytes())
	require.NoError(t, err)
}

// CheckEd25519PubKeyStrict (validator consensus keys) refuses, each with its
// own sentinel, every encoding that is not one honest key's only encoding.
func TestCheckEd25519PubKeyStrict(t *testing.T) {
	good := fixtureKeys(t, KeyTypeEd25519).pub.Bytes()
	require.NoError(t, CheckEd25519PubKeyStrict(good))
	for i := 0; i < 16; i++ { // fresh keys always pass
		k, err := GenerateKey(KeyTypeEd25519)
		require.NoError(t, err)
		require.NoError(t, CheckEd25519PubKeyStrict(k.PubKey().Bytes()))
	}
	// A + T: the fixture key plus the order-8 torsion point below.
	_, a, err := decodeEd25519Point(good)
	require.NoError(t, err)
	_, tor, err := decodeEd25519Point(mustHex(t, "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"))
	require.NoError(t, err)
	var mixed curve.EdwardsPoint
	mixed.Add(a, tor)
	var mixedC curve.CompressedEdwardsY
	mixedC.SetEdwardsPoint(&mixed)

	for _, tc := range []struct {
		name string
		key  []byte
		want error
	}{
		{"all zero (order 4)", make([]byte, 32), ErrSmallOrderKey},
		{"identity", mustHex(t, "0100000000000000000000000000000000000000000000000000000000000000"), ErrSmallOrderKey},
		{"order-8 point", mustHex(t, "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"), ErrSmallOrderKey},
		{"mixed order (key + order-8 point)", mixedC[:], ErrSmallOrderKey},
		{"mixed order, canonical y = 3", mustHex(t, "0300000000000000000000000000000000000000000000000000000000000000"), ErrSmallOrderKey},
		{"non-canonical y = 3 + p", mustHex(t, "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), ErrNonCanonicalKey},
		{"non-canonical identity (y = 1 + p)", mustHex(t, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), ErrNonCanonicalKey},
		{"non-canonical sign bit of x = 0", mustHex(t, "0100000000000000000000000000000000000000000000000000000000000080"), ErrNonCanonicalKey},
		{"not a curve point (y = 2)", mustHex(t, "0200000000000000000000000000000000000000000000000000000000000000"), ErrNotCurvePoint},
		{"31 bytes", good[:31], ErrInvalidKey},
		{"33 bytes", append(bytes.Clone(good), 0), ErrInvalidKey},
	} {
		err := CheckEd25519PubKeyStrict(tc.key)
		require.ErrorIs(t, err, tc.want, tc.name)
		require.ErrorIs(t, err, ErrInvalidKey, tc.name)
	}
	// The account-key check (PubKeyFromTyped) keeps refusing only small-order keys.
	_, err = PubKeyFromTyped(KeyTypeEd25519, mixedC[:])
	require.NoError(t, err)
}

func BenchmarkCheckEd25519PubKeyStrict(b *testing.B) {
	good := fixtureKeys(b, KeyTypeEd25519).pub.Bytes()
	for b.Loop() {
		if err := CheckEd25519PubKeyStrict(good); err != nil {
			b.Fatal(err)
		}
	}
}
