package crypto

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyTypeSizesAndWeights(t *testing.T) {
	want := map[string]struct{ pub, sig int }{
		KeyTypeEd25519:   {32, 64},
		KeyTypeMLDSA65:   {1952, 3309},
		KeyTypeSLHDSA:    {32, 7856},
		KeyTypeHybrid:    {32 + 1952, 64 + 3309},
		KeyTypeHybridSLH: {32 + 32, 64 + 7856},
	}
	names := Schemes()
	require.True(t, sort.StringsAreSorted(names))
	for _, name := range realSchemes {
		s, err := LookupScheme(name)
		require.NoError(t, err)
		require.Contains(t, names, name)
		require.Equal(t, want[name].pub, s.PubKeySize, name)
		require.Equal(t, want[name].sig, s.SigSize, name)
		require.NotZero(t, s.VerifyCostWeight, name)
	}
	ed, _ := Scheme(KeyTypeEd25519)
	require.EqualValues(t, 100, ed.VerifyCostWeight)
	for _, h := range []struct{ hybrid, pq string }{{KeyTypeHybrid, KeyTypeMLDSA65}, {KeyTypeHybridSLH, KeyTypeSLHDSA}} {
		hs, _ := Scheme(h.hybrid)
		pq, _ := Scheme(h.pq)
		require.Equal(t, ed.VerifyCostWeight+pq.VerifyCostWeight, hs.VerifyCostWeight, "a hybrid costs both halves")
	}
	require.Equal(t, KeyTypeHybrid, DefaultKeyType)
	_, ok := Scheme(DefaultKeyType)
	require.True(t, ok)
}

func TestVerifyGas(t *testing.T) {
	ed, _ := Scheme(KeyTypeEd25519)
	h, _ := Scheme(KeyTypeHybrid)
	require.EqualValues(t, 1000, ed.VerifyGas(1000))
	require.Equal(t, 1000*h.VerifyCostWeight/100, h.VerifyGas(1000))
	require.EqualValues(t, 0, h.VerifyGas(0))
	require.Equal(t, uint64(math.MaxUint64), h.VerifyGas(math.MaxUint64), "saturates")
	require.Equal(t, uint64(math.MaxUint64), ed.VerifyGas(math.MaxUint64), "weight 100 is the identity")
}

func TestSignVerifyAllSchemes(t *testing.T) {
	for _, name := range realSchemes {
		t.Run(name, func(t *testing.T) {
			s, _ := Scheme(name)
			f := getFixture(t, name)
			require.Equal(t, name, f.priv.Type())
			require.Equal(t, name, f.pub.Type())
			require.Len(t, f.pub.Bytes(), s.PubKeySize)
			require.Len(t, f.sig, s.SigSize)
			require.Len(t, f.priv.Bytes(), SeedSize)
			require.True(t, f.pub.VerifySignature(fixtureMsg, f.sig))
			require.False(t, f.pub.VerifySignature(append(bytes.Clone(fixtureMsg), '!'), f.sig), "other message")
			require.False(t, f.pub.VerifySignature(nil, f.sig), "empty message")

			// Private key bytes round-trip, and so does the wire form.
			priv2, err := PrivKeyFromTyped(name, f.priv.Bytes())
			require.NoError(t, err)
			require.True(t, priv2.PubKey().Equals(f.pub))
			require.Equal(t, f.priv.Bytes(), priv2.Bytes())
			pub2, err := PubKeyFromTyped(f.pub.Type(), f.pub.Bytes())
			require.NoError(t, err)
			require.True(t, pub2.Equals(f.pub))
			require.True(t, f.pub.Equals(pub2))
			require.False(t, f.pub.Equals(nil))
			require.Equal(t, f.pub.Address(), pub2.Address())
			require.Equal(t, PubKeyAddress(name, f.pub.Bytes()), pub2.Address())
			require.True(t, pub2.VerifySignature(fixtureMsg, f.sig), "a decoded key verifies")

			// A second fresh key is a different key.
			other, err := GenerateKey(name)
			require.NoError(t, err)
			require.Equal(t, name, other.Type())
			require.False(t, other.PubKey().Equals(f.pub))
			require.False(t, other.PubKey().VerifySignature(fixtureMsg, f.sig), "other key")
		})
	}
}

// Signing is hedged for the post-quantum halves (FIPS 204/205 default), so
// two signatures of one message differ; both verify.
func TestHedgedSigning(t *testing.T) {
	for _, name := range []string{KeyTypeMLDSA65, KeyTypeHybrid} {
		f := getFixture(t, name)
		sig2, err := f.priv.Sign(fixtureMsg)
		require.NoError(t, err)
		require.NotEqual(t, f.sig, sig2, name)
		require.True(t, f.pub.VerifySignature(fixtureMsg, sig2), name)
	}
}

func TestGeneratedKeysSignAndRoundTrip(t *testing.T) {
	for _, name := range realSchemes {
		priv, err := GenerateKey(name)
		require.NoError(t, err)
		back, err := PrivKeyFromTyped(name, priv.Bytes())
		require.NoError(t, err)
		require.True(t, back.PubKey().Equals(priv.PubKey()), name)
		if name == KeyTypeSLHDSA || name == KeyTypeHybridSLH {
			continue // signing is covered by the fixtures; 0.5 s each
		}
		sig, err := back.Sign([]byte("m"))
		require.NoError(t, err)
		require.True(t, priv.PubKey().VerifySignature([]byte("m"), sig), name)
	}
}

func TestAddressesDifferAcrossSchemes(t *testing.T) {
	addrs := map[string]string{}
	pubs := map[string]string{}
	for _, name := range realSchemes {
		f := getFixture(t, name) // all from the same seed
		a := f.pub.Address().String()
		require.NotContains(t, addrs, a, "%s collides with %s", name, addrs[a])
		addrs[a] = name
		p := fmt.Sprintf("%x", f.pub.Bytes())
		require.NotContains(t, pubs, p, "%s has the same public key as %s", name, pubs[p])
		pubs[p] = name
	}
}

func TestKeyBytesAreCopies(t *testing.T) {
	for _, name := range realSchemes {
		f := getFixture(t, name)
		addr := f.pub.Address()

		b := f.pub.Bytes()
		b[0] ^= 0xff
		b[len(b)-1] ^= 0xff
		require.Equal(t, addr, f.pub.Address(), "%s: mutating Bytes() must not change the key", name)

		raw := f.pub.Bytes()
		pub2, err := PubKeyFromTyped(name, raw)
		require.NoError(t, err)
		raw[0] ^= 0xff
		raw[len(raw)-1] ^= 0xff
		require.Equal(t, addr, pub2.Address(), "%s: constructor must copy its input", name)
		require.True(t, pub2.VerifySignature(fixtureMsg, f.sig), name)

		seed := f.priv.Bytes()
		seed[0] ^= 0xff
		require.Equal(t, fixtureSeed(), f.priv.Bytes(), "%s: mutating the private Bytes() must not change the key", name)
	}
	// The seed passed in is copied too (callers wipe it).
	for _, name := range []string{KeyTypeMLDSA65, KeyTypeHybrid} {
		seed := fixtureSeed()
		priv, err := PrivKeyFromTyped(name, seed)
		require.NoError(t, err)
		clear(seed)
		require.Equal(t, fixtureSeed(), priv.Bytes(), name)
	}
}

func TestPQKeyErrors(t *testing.T) {
	for _, name := range realSchemes {
		s, _ := Scheme(name)
		for _, n := range []int{0, 1, s.PubKeySize - 1, s.PubKeySize + 1, 2 * s.PubKeySize} {
			_, err := PubKeyFromTyped(name, make([]byte, n))
			require.ErrorIs(t, err, ErrInvalidKey, "%s pub %d", name, n)
			// The constructor checks too, for callers that bypass PubKeyFromTyped.
			pk, err := s.PubKeyFromBytes(make([]byte, n))
			require.ErrorIs(t, err, ErrInvalidKey, "%s pub %d", name, n)
			require.Nil(t, pk)
		}
		for _, n := range []int{0, 1, 31, 33, 64} {
			_, err := PrivKeyFromTyped(name, make([]byte, n))
			require.ErrorIs(t, err, ErrInvalidKey, "%s priv %d", name, n)
			_, err = s.PrivKeyFromSeed(make([]byte, n))
			require.ErrorIs(t, err, ErrInvalidKey, "%s seed %d", name, n)
		}
	}
	_, err := PubKeyFromTyped(KeyTypeMLDSA65, make([]byte, 1951))
	require.ErrorContains(t, err, "mldsa65 public key must be 1952 bytes, got 1951")
	_, err = PrivKeyFromTyped(KeyTypeHybrid, make([]byte, 64))
	require.ErrorContains(t, err, "hybrid private key (seed) must be 32 bytes, got 64")
}

func TestPQPrivKeyIsRedacted(t *testing.T) {
	for _, name := range realSchemes {
		f := getFixture(t, name)
		hexSeed := fmt.Sprintf("%x", f.priv.Bytes())
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, f.priv)
			require.NotContains(t, out, hexSeed, "%s %s", name, verb)
			require.Contains(t, out, "redacted", "%s %s", name, verb)
		}
		require.True(t, strings.HasPrefix(fmt.Sprint(f.pub), name+":"), name)
		require.Less(t, len(fmt.Sprint(f.pub)), 200, "long keys are abbreviated")
	}
}

// TestConcurrentVerify: a freshly decoded key (ML-DSA parses on first use)
// is safe to verify with from many goroutines; run with -race.
func TestConcurrentVerify(t *testing.T) {
	for _, name := range []string{KeyTypeMLDSA65, KeyTypeHybrid} {
		f := getFixture(t, name)
		pk, err := PubKeyFromTyped(name, f.pub.Bytes())
		require.NoError(t, err)
		var wg sync.WaitGroup
		ok := make([]bool, 8)
		for i := range ok {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok[i] = pk.VerifySignature(fixtureMsg, f.sig)
			}()
		}
		wg.Wait()
		require.Equal(t, []bool{true, true, true, true, true, true, true, true}, ok, name)
	}
}

// RetainedBytes counts ML-DSA-65 keys, alone or in a hybrid, at their parsed
// size, and small keys as small.
func TestRetainedBytes(t *testing.T) {
	for _, c := range []struct {
		keyType string
		min     int
		max     int
	}{
		{KeyTypeEd25519, 1, 1 << 10},
		{KeyTypeMLDSA65, 40 << 10, 48 << 10},
		{KeyTypeHybrid, 40 << 10, 48 << 10},
	} {
		priv, err := GenerateKey(c.keyType)
		if err != nil {
			t.Fatal(err)
		}
		if n := RetainedBytes(priv.PubKey()); n < c.min || n > c.max {
			t.Errorf("%s: %d bytes, want %d..%d", c.keyType, n, c.min, c.max)
		}
	}
}
