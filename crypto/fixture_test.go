package crypto

import (
	"bytes"
	"crypto/ed25519"
	"sync"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/slhdsa"
	"github.com/stretchr/testify/require"
)

// realSchemes are the production key types (the test-only "test-fake" is
// left out: it reuses Ed25519 maths on purpose).
var realSchemes = []string{KeyTypeEd25519, KeyTypeHybrid, KeyTypeHybridSLH, KeyTypeMLDSA65, KeyTypeSLHDSA}

// fixture is one key per scheme from a fixed seed and one signature of
// fixtureMsg. SLH-DSA signing takes ~0.5 s, so each scheme signs once per
// test binary and every test shares the result.
type fixture struct {
	priv PrivKey
	pub  PubKey

	sigOnce sync.Once
	sig     []byte // hedged signature of fixtureMsg by Sign; see getFixture

	detOnce sync.Once
	det     []byte // deterministic signature of fixtureMsg, see detSig
}

// detSig is a deterministic signature of fixtureMsg under the scheme's
// domain. Fuzz workers are separate processes that rebuild the fixtures, so
// only a deterministic signature is the same in the seed corpus and in the
// worker, and lets FuzzVerify reject every other accepted signature.
func (f *fixture) detSig(t testing.TB) []byte {
	f.detOnce.Do(func() { f.det = deterministicSign(t, f.priv, fixtureMsg) })
	require.NotNil(t, f.det)
	return f.det
}

func deterministicSign(t testing.TB, priv PrivKey, msg []byte) []byte {
	pqSign := func(pq any, ctx []byte) []byte {
		switch c := pq.(type) {
		case *mldsaPriv:
			sig := make([]byte, mldsa65.SignatureSize)
			require.NoError(t, mldsa65.SignTo(c.sk, msg, ctx, false, sig))
			return sig
		case *slhPriv:
			sig, err := slhdsa.SignDeterministic(&c.sk, slhdsa.NewMessage(msg), ctx)
			require.NoError(t, err)
			return sig
		}
		t.Fatalf("no deterministic signing for %T", pq)
		return nil
	}
	switch k := priv.(type) {
	case ed25519PrivKey:
		sig, _ := k.Sign(msg)
		return sig
	case mldsa65PrivKey:
		return pqSign(k.c, mldsa65Context)
	case slhdsaPrivKey:
		return pqSign(k.c, slhdsaContext)
	case hybridPrivKey:
		ed := ed25519.Sign(k.ed, append([]byte(k.spec.edPrefix), msg...))
		return append(ed, pqSign(k.pq, k.spec.pqCtx)...)
	}
	t.Fatalf("no deterministic signing for %T", priv)
	return nil
}

var (
	fixtureMsg = []byte("selfchain test: transfer 10 SELF to self1...")
	fixturesMu sync.Mutex
	fixtures   = map[string]*fixture{}
)

func fixtureSeed() []byte { return bytes.Repeat([]byte{0x42}, SeedSize) }

// fixtureKeys is the fixture without signing (fuzz workers only need keys).
func fixtureKeys(t testing.TB, keyType string) *fixture {
	t.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[keyType]; ok {
		return f
	}
	priv, err := PrivKeyFromTyped(keyType, fixtureSeed())
	require.NoError(t, err)
	f := &fixture{priv: priv, pub: priv.PubKey()}
	fixtures[keyType] = f
	return f
}

// getFixture is the fixture with its signature made by the production Sign.
func getFixture(t testing.TB, keyType string) *fixture {
	t.Helper()
	f := fixtureKeys(t, keyType)
	f.sigOnce.Do(func() {
		sig, err := f.priv.Sign(fixtureMsg)
		require.NoError(t, err)
		f.sig = sig
	})
	require.NotNil(t, f.sig, "fixture signature for %s failed earlier", keyType)
	return f
}
