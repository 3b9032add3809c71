package crypto

import (
	"crypto/aes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/stretchr/testify/require"
)

// TestMLDSA65KeyGenACVP checks our PrivKeyFromSeed against NIST's ACVP
// ML-DSA keyGen vector (FIPS204, parameter set ML-DSA-65, tcId 26), copied
// from circl v1.6.3 sign/mldsa/testdata/ML-DSA-keyGen-FIPS204 (prompt.json.gz
// gives the seed, expectedResults.json.gz the keys; we pin their SHA-256).
func TestMLDSA65KeyGenACVP(t *testing.T) {
	const (
		seed     = "70cefb9aed5b68e018b079da8284b9d5cad5499ed9c265ff73588005d85c225c"
		pkSHA256 = "646b26b8d09dbc9e865b6a006c693a3127b065e62fab5fbe8b159c416462feb6"
		skSHA256 = "3894dc56a4553781d68ff0d1b6fcf1b4876085ea602fb6f8738def50ed7d4c75"
	)
	s, _ := hex.DecodeString(seed)
	priv, err := PrivKeyFromTyped(KeyTypeMLDSA65, s)
	require.NoError(t, err)
	pk := sha256.Sum256(priv.PubKey().Bytes())
	require.Equal(t, pkSHA256, hex.EncodeToString(pk[:]))
	sk := sha256.Sum256(priv.(mldsa65PrivKey).c.sk.Bytes())
	require.Equal(t, skSHA256, hex.EncodeToString(sk[:]))
	require.Equal(t, s, priv.Bytes(), "the stored private key is the FIPS 204 seed")
}

// TestMLDSA65NISTKAT regenerates the NIST PQC "PQCsignKAT" file for
// ML-DSA-65 the way circl's sign/dilithium/kat_test.go does (100 keys from
// the NIST AES-CTR DRBG, deterministic signatures, empty context) and checks
// its SHA-256 against the digest circl pins there, which comes from the
// pq-crystals reference implementation. Keys come from our PrivKeyFromSeed,
// and every signature must pass our verifier.
func TestMLDSA65NISTKAT(t *testing.T) {
	const want = "595a8eff6988159c94eb5398294458c5d27d21c994fb64cadbee339173abcf63"
	var seed [48]byte
	for i := range seed {
		seed[i] = byte(i)
	}
	f := sha256.New()
	g := newNISTDRBG(&seed)
	fmt.Fprintf(f, "# %s\n\n", "Dilithium3")
	var eseed [32]byte
	for i := 0; i < 100; i++ {
		mlen := 33 * (i + 1)
		g.fill(seed[:])
		msg := make([]byte, mlen)
		g.fill(msg)
		fmt.Fprintf(f, "count = %d\nseed = %X\nmlen = %d\nmsg = %X\n", i, seed, mlen, msg)

		g2 := newNISTDRBG(&seed)
		g2.fill(eseed[:])
		priv, err := PrivKeyFromTyped(KeyTypeMLDSA65, eseed[:])
		require.NoError(t, err)
		c := priv.(mldsa65PrivKey).c
		fmt.Fprintf(f, "pk = %X\nsk = %X\nsmlen = %d\n", priv.PubKey().Bytes(), c.sk.Bytes(), mlen+mldsa65.SignatureSize)

		sig := make([]byte, mldsa65.SignatureSize)
		require.NoError(t, mldsa65.SignTo(c.sk, msg, nil, false, sig))
		fmt.Fprintf(f, "sm = %X%X\n\n", sig, msg)
		require.True(t, c.pub.verify(msg, nil, sig), "count %d", i)
	}
	require.Equal(t, want, hex.EncodeToString(f.Sum(nil)))
}

// nistDRBG is NIST's AES-256 CTR_DRBG from PQCgenKAT (rng.c), as in circl's
// internal/nist package, which tests outside circl cannot import.
type nistDRBG struct {
	key [32]byte
	v   [16]byte
}

func newNISTDRBG(seed *[48]byte) *nistDRBG {
	g := &nistDRBG{}
	g.update(seed)
	return g
}

func (g *nistDRBG) incV() {
	for j := 15; j >= 0; j-- {
		g.v[j]++
		if g.v[j] != 0 {
			return
		}
	}
}

func (g *nistDRBG) update(pd *[48]byte) {
	var buf [48]byte
	b, _ := aes.NewCipher(g.key[:])
	for i := 0; i < 3; i++ {
		g.incV()
		b.Encrypt(buf[i*16:(i+1)*16], g.v[:])
	}
	if pd != nil {
		for i := range buf {
			buf[i] ^= pd[i]
		}
	}
	copy(g.key[:], buf[:32])
	copy(g.v[:], buf[32:])
}

func (g *nistDRBG) fill(x []byte) {
	var block [16]byte
	b, _ := aes.NewCipher(g.key[:])
	for len(x) > 0 {
		g.incV()
		b.Encrypt(block[:], g.v[:])
		x = x[copy(x, block[:]):]
	}
	g.update(nil)
}
