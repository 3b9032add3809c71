package crypto

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// fit resizes b to n bytes (cycling its content, or zeros if empty), so the
// fuzzer reaches the real verifiers and not only the length checks.
func fit(b []byte, n int) []byte {
	out := make([]byte, n)
	if len(b) > 0 {
		for i := range out {
			out[i] = b[i%len(b)]
		}
	}
	return out
}

// FuzzVerify: for every scheme, random public keys, signatures and
// messages never panic and are never accepted, except the one known-valid
// (deterministic) signature per scheme from the fixtures.
func FuzzVerify(f *testing.F) {
	for i, name := range realSchemes {
		fx := fixtureKeys(f, name)
		pub, sig := fx.pub.Bytes(), fx.detSig(f)
		f.Add(uint8(i), uint8(0), pub, sig, fixtureMsg)
		f.Add(uint8(i), uint8(0), pub, sig[:len(sig)-1], fixtureMsg)
		f.Add(uint8(i), uint8(3), pub[:5], sig[:50], fixtureMsg)
		f.Add(uint8(i), uint8(2), pub, []byte{0xff}, []byte{})
		f.Add(uint8(i), uint8(1), []byte{}, sig, fixtureMsg)
	}
	f.Fuzz(func(t *testing.T, which, mode uint8, pub, sig, msg []byte) {
		name := realSchemes[int(which)%len(realSchemes)]
		s, _ := Scheme(name)
		if mode&1 != 0 {
			pub = fit(pub, s.PubKeySize)
		}
		if mode&2 != 0 {
			sig = fit(sig, s.SigSize)
		}
		pk, err := PubKeyFromTyped(name, pub)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidKey)
			// Right-sized keys are refused only for a small-order Ed25519 part.
			if len(pub) == s.PubKeySize {
				require.Error(t, checkEd25519Order(pub[:min(len(pub), 32)]), "%s refused a right-sized key: %v", name, err)
			}
			return
		}
		if !pk.VerifySignature(msg, sig) {
			return
		}
		fx := fixtureKeys(t, name)
		require.True(t, bytes.Equal(pub, fx.pub.Bytes()) && bytes.Equal(msg, fixtureMsg) && bytes.Equal(sig, fx.detSig(t)),
			"%s accepted a signature that is not the fixture's", name)
	})
}

// FuzzPubKeyFromTyped: decoding never panics, and what decodes re-encodes
// to the same bytes, type and address and verifies nothing random.
func FuzzPubKeyFromTyped(f *testing.F) {
	for _, name := range realSchemes {
		fx := fixtureKeys(f, name)
		f.Add(name, fx.pub.Bytes())
		f.Add(name, fx.pub.Bytes()[1:])
	}
	f.Add("", []byte{1})
	f.Add("Hybrid", make([]byte, 1984))
	f.Add("module", make([]byte, 32))
	f.Fuzz(func(t *testing.T, keyType string, key []byte) {
		pk, err := PubKeyFromTyped(keyType, key)
		if err != nil {
			require.Nil(t, pk)
			require.True(t, errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrUnknownKeyType), err)
			return
		}
		s, _ := Scheme(keyType)
		require.Equal(t, keyType, pk.Type())
		require.Equal(t, key, pk.Bytes())
		require.Len(t, key, s.PubKeySize)
		require.Equal(t, PubKeyAddress(keyType, key), pk.Address())
		pk2, err := s.PubKeyFromBytes(key)
		require.NoError(t, err)
		require.True(t, pk.Equals(pk2))
		require.False(t, pk.VerifySignature(key, nil))
		require.False(t, pk.VerifySignature(key, key))
		require.False(t, pk.VerifySignature(nil, fit(key, s.SigSize)))
	})
}

// TestVerifyEveryLength: every signature length up to one past the size is
// rejected without a panic (the fuzzer rarely hits exact sizes by itself).
func TestVerifyEveryLength(t *testing.T) {
	for _, name := range realSchemes {
		s, _ := Scheme(name)
		fx := getFixture(t, name)
		long := append(bytes.Clone(fx.sig), fx.sig...)
		for n := 0; n <= s.SigSize+1; n++ {
			if n == s.SigSize {
				continue
			}
			require.False(t, fx.pub.VerifySignature(fixtureMsg, long[:n]), "%s len %d", name, n)
		}
		for n := 0; n <= s.PubKeySize+1; n += 1 + n/64 {
			pk, err := s.PubKeyFromBytes(fit(fx.pub.Bytes(), n))
			if n != s.PubKeySize {
				require.Error(t, err, "%s pub len %d", name, n)
				require.Nil(t, pk)
			}
		}
	}
}
