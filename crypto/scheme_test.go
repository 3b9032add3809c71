package crypto

import (
	"bytes"
	"crypto/ed25519"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeKeyType is a second scheme that reuses Ed25519 maths under another
// tag, to show that the tag alone separates address spaces.
const fakeKeyType = "test-fake"

type fakePubKey struct{ ed25519PubKey }

func (k fakePubKey) Type() string     { return fakeKeyType }
func (k fakePubKey) Address() Address { return PubKeyAddress(fakeKeyType, k.key) }
func (k fakePubKey) Equals(o PubKey) bool {
	return o != nil && o.Type() == fakeKeyType && bytes.Equal(k.key, o.Bytes())
}

type fakePrivKey struct{ ed25519PrivKey }

func (k fakePrivKey) Type() string { return fakeKeyType }
func (k fakePrivKey) PubKey() PubKey {
	return fakePubKey{k.ed25519PrivKey.PubKey().(ed25519PubKey)}
}

func fakeFromSeed(seed []byte) (PrivKey, error) {
	k, err := ed25519PrivKeyFromSeed(seed)
	if err != nil {
		return nil, err
	}
	return fakePrivKey{k.(ed25519PrivKey)}, nil
}

func init() {
	RegisterScheme(KeyScheme{
		Name:       fakeKeyType,
		PubKeySize: ed25519.PublicKeySize,
		SigSize:    ed25519.SignatureSize,
		PubKeyFromBytes: func(b []byte) (PubKey, error) {
			k, err := ed25519PubKeyFromBytes(b)
			if err != nil {
				return nil, err
			}
			return fakePubKey{k.(ed25519PubKey)}, nil
		},
		PrivKeyFromBytes: fakeFromSeed,
		PrivKeyFromSeed:  fakeFromSeed,
		Generate: func() (PrivKey, error) {
			k, err := generateEd25519()
			if err != nil {
				return nil, err
			}
			return fakePrivKey{k.(ed25519PrivKey)}, nil
		},
		VerifyCostWeight: 100,
	})
}

func TestSchemesRegistry(t *testing.T) {
	names := Schemes()
	require.True(t, sort.StringsAreSorted(names))
	require.Contains(t, names, KeyTypeEd25519)
	require.Contains(t, names, fakeKeyType)

	s, ok := Scheme(KeyTypeEd25519)
	require.True(t, ok)
	require.Equal(t, 32, s.PubKeySize)
	require.Equal(t, 64, s.SigSize)

	_, ok = Scheme("nope")
	require.False(t, ok)
}

func TestAddressesDifferByKeyType(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, SeedSize)
	edKey, err := PrivKeyFromTyped(KeyTypeEd25519, seed)
	require.NoError(t, err)
	fakeKey, err := PrivKeyFromTyped(fakeKeyType, seed)
	require.NoError(t, err)

	// Same public key bytes, different tag: different accounts.
	require.Equal(t, edKey.PubKey().Bytes(), fakeKey.PubKey().Bytes())
	require.NotEqual(t, edKey.PubKey().Address(), fakeKey.PubKey().Address())
	require.False(t, edKey.PubKey().Equals(fakeKey.PubKey()))

	// And the wire form {type, bytes} restores the right scheme.
	pk, err := PubKeyFromTyped(fakeKeyType, fakeKey.PubKey().Bytes())
	require.NoError(t, err)
	require.Equal(t, fakeKeyType, pk.Type())
	require.Equal(t, fakeKey.PubKey().Address(), pk.Address())

	// Mnemonic derivation is also separated per key type.
	const m = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	a, err := DeriveKey(KeyTypeEd25519, m, "", 0)
	require.NoError(t, err)
	b, err := DeriveKey(fakeKeyType, m, "", 0)
	require.NoError(t, err)
	require.NotEqual(t, a.PubKey().Bytes(), b.PubKey().Bytes())
}

func TestRegisterSchemePanics(t *testing.T) {
	valid := func(name string) KeyScheme {
		s, _ := Scheme(KeyTypeEd25519)
		s.Name = name
		return s
	}
	cases := map[string]KeyScheme{
		"duplicate":      valid(KeyTypeEd25519),
		"empty name":     valid(""),
		"upper case":     valid("Ed448"),
		"nul byte":       valid("a\x00b"),
		"reserved":       valid("module"),
		"negative size":  func() KeyScheme { s := valid("neg"); s.SigSize = -1; return s }(),
		"missing func":   func() KeyScheme { s := valid("nofunc"); s.Generate = nil; return s }(),
		"no weight":      func() KeyScheme { s := valid("noweight"); s.VerifyCostWeight = 0; return s }(),
		"too long (65)":  valid("a234567890123456789012345678901234567890123456789012345678901234x"),
		"bad first char": valid("-x"),
	}
	for name, s := range cases {
		require.Panics(t, func() { RegisterScheme(s) }, name)
	}
	require.NotContains(t, Schemes(), "neg")
	require.NotContains(t, Schemes(), "nofunc")
	require.NotContains(t, Schemes(), "noweight")
}
