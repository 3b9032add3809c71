package seal

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// testKey and otherKey are fixed so failures reproduce.
var (
	testKey  = NewKeyFromSeed([SeedSize]byte{1, 2, 3, 4, 5, 6, 7, 8})
	otherKey = NewKeyFromSeed([SeedSize]byte{9, 9, 9})
)

// detRand is a deterministic randomness source for reproducible envelopes.
func detRand(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return rand.NewChaCha8(s)
}

// payload returns n bytes of a recognisable pattern.
func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return p
}

func mustSeal(t testing.TB, plaintext, ad []byte, chunkSize int) []byte {
	t.Helper()
	env, err := sealWith(detRand(uint64(len(plaintext))), testKey.Public(), plaintext, ad, chunkSize)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// readAll opens env through NewReader, returning what was released before
// any error.
func readAll(priv *PrivateKey, src io.Reader, ad []byte) ([]byte, error) {
	r, err := NewReader(src, priv, ad)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// wantErr checks that Open and NewReader both reject env with target.
func wantErr(t *testing.T, priv *PrivateKey, env, ad []byte, target error) {
	t.Helper()
	if _, err := Open(priv, env, ad); !errors.Is(err, target) {
		t.Errorf("Open: got %v, want %v", err, target)
	}
	if _, err := readAll(priv, bytes.NewReader(env), ad); !errors.Is(err, target) {
		t.Errorf("NewReader: got %v, want %v", err, target)
	}
}

// chunkOffset is where chunk i's record starts, for full chunks of cs bytes.
func chunkOffset(i, cs int) int { return HeaderSize + i*(recordHeaderSize+cs+tagSize) }

func splice(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
