package seal

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/hex"
	"fmt"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestXWingVector1 checks our X-Wing usage (key derivation from a seed,
// deterministic encapsulation, decapsulation) against test vector 1 of
// draft-connolly-cfrg-xwing-kem, appendix C (spec/test-vectors.txt; circl's
// kem/xwing TestVectors regenerates the same file). pk and ct are 1216 and
// 1120 bytes there; their first 16 bytes are copied here, the shared secret
// in full.
func TestXWingVector1(t *testing.T) {
	seed := unhex(t, "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26")
	eseed := unhex(t, "3cb1eea988004b93103cfb0aeefd2a686e01fa4a58e8a3639ca8a1e3f9ae57e2"+
		"35b8cc873c23dc62b8d260169afa2f75ab916a58d974918835d25e6a435085b2")
	pkHead := unhex(t, "e2236b35a8c24b39b10aa1323a96a919")
	ctHead := unhex(t, "b83aa828d4d62b9a83ceffe1d3d3bb1e")
	wantSS := unhex(t, "d2df0522128f09dd8e2c92b1e905c793d8f57a54c3da25861f10bf4ca613e384")

	priv := NewKeyFromSeed([SeedSize]byte(seed))
	if pk := priv.Public().Bytes(); !bytes.HasPrefix(pk, pkHead) {
		t.Fatalf("pk = %x..., want %x...", pk[:16], pkHead)
	}
	ct, ss := encapsulate(priv.Public(), eseed)
	if !bytes.HasPrefix(ct, ctHead) {
		t.Fatalf("ct = %x..., want %x...", ct[:16], ctHead)
	}
	if !bytes.Equal(ss, wantSS) {
		t.Fatalf("encapsulated ss = %x, want %x", ss, wantSS)
	}
	if got := decapsulate(priv, ct); !bytes.Equal(got, wantSS) {
		t.Fatalf("decapsulated ss = %x, want %x", got, wantSS)
	}
}

// TestXWingVectorFile regenerates all three spec vectors through our key
// and KEM code, in the spec's text format, and compares the SHAKE-128
// checksum of the file with the one circl pins (kem/xwing/xwing_test.go):
// every byte of every pk, sk, ct and ss must match.
func TestXWingVectorFile(t *testing.T) {
	h := sha3.NewSHAKE128()
	var w bytes.Buffer
	for range 3 {
		var seed [SeedSize]byte
		_, _ = h.Read(seed[:])
		writeVectorHex(&w, "seed", seed[:])
		priv := NewKeyFromSeed(seed)
		writeVectorHex(&w, "sk", priv.Bytes())
		writeVectorHex(&w, "pk", priv.Public().Bytes())
		eseed := make([]byte, 64)
		_, _ = h.Read(eseed)
		writeVectorHex(&w, "eseed", eseed)
		ct, ss := encapsulate(priv.Public(), eseed)
		writeVectorHex(&w, "ct", ct)
		writeVectorHex(&w, "ss", ss)
		if !bytes.Equal(decapsulate(priv, ct), ss) {
			t.Fatal("decapsulation disagrees")
		}
		w.WriteString("\n")
	}
	sum := sha3.SumSHAKE128(w.Bytes(), 32)
	const want = "1bcd0057d861d6b866239936cadcaeee1ec0164dedc181c386e9e54fe46156fe"
	if got := hex.EncodeToString(sum); got != want {
		t.Fatalf("vector file checksum %s, want %s", got, want)
	}
}

// writeVectorHex prints one field the way the spec's vector file does.
func writeVectorHex(w *bytes.Buffer, name string, val []byte) {
	const width, indent = 74, "  "
	s := hex.EncodeToString(val)
	if len(name)+len(s)+5 < width {
		fmt.Fprintf(w, "%s     %s\n", name, s)
		return
	}
	fmt.Fprintf(w, "%s\n", name)
	for len(s) > 0 {
		n := min(len(s), width-len(indent))
		fmt.Fprintf(w, "%s%s\n", indent, s[:n])
		s = s[n:]
	}
}

// TestEnvelopeGolden pins the envelope format: a deterministic envelope
// must keep the same bytes, and still open. A change here is a format
// change and needs a new version number.
func TestEnvelopeGolden(t *testing.T) {
	if HeaderSize != 1190 || ChunkOverhead != 20 || offKEM != 38 {
		t.Fatalf("layout moved: header %d, chunk overhead %d, KEM at %d", HeaderSize, ChunkOverhead, offKEM)
	}
	env := mustSeal(t, payload(2500), []byte("golden ad"), MinChunkSize)
	if want := HeaderSize + 2500 + 3*ChunkOverhead; len(env) != want {
		t.Fatalf("envelope is %d bytes, want %d", len(env), want)
	}
	sum := sha256.Sum256(env)
	const want = "29f16a737d7821c41823bdcc55de0539a3d69dd66d6181217ecb23a44b2f43db"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("envelope sha256 %s, want %s", got, want)
	}
	if id := testKey.Public().ID(); id != "a71afc89d5a560ae" {
		t.Errorf("test key id %s", id)
	}
	if got, err := Open(testKey, env, []byte("golden ad")); err != nil || !bytes.Equal(got, payload(2500)) {
		t.Fatalf("golden envelope does not open: %v", err)
	}
}
