package backup

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func testManifest(t testing.TB, sizes ...int) (chunks, leaves [][]byte) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range sizes {
		c := make([]byte, n)
		for i := range c {
			c[i] = byte(r.Uint32())
		}
		leaf, err := ChunkLeafOf(c)
		if err != nil {
			t.Fatal(err)
		}
		chunks, leaves = append(chunks, c), append(leaves, leaf)
	}
	return chunks, leaves
}

func TestStorageProofRoundTrip(t *testing.T) {
	chunks, leaves := testManifest(t, 1, 1023, 1024, 1025, 5000, 70000, 3)
	root := ManifestRoot(leaves)
	for i := range chunks {
		for s := range 20 {
			seed := []byte{byte(i), byte(s)}
			p, err := BuildStorageProof(leaves, uint64(i), chunks[i], seed)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Verify(root, uint64(len(chunks)), uint64(i), seed); err != nil {
				t.Fatalf("chunk %d seed %d: %v", i, s, err)
			}
		}
	}
}

func TestStorageProofRejects(t *testing.T) {
	chunks, leaves := testManifest(t, 5000, 70000, 3000)
	root := ManifestRoot(leaves)
	seed := []byte("seed")
	good, err := BuildStorageProof(leaves, 1, chunks[1], seed)
	if err != nil {
		t.Fatal(err)
	}
	clone := func() StorageProof {
		p := good
		p.ChunkLeaf = bytes.Clone(good.ChunkLeaf)
		p.Segment = bytes.Clone(good.Segment)
		p.SegmentPath = append([][]byte(nil), good.SegmentPath...)
		p.ManifestPath = append([][]byte(nil), good.ManifestPath...)
		return p
	}
	cases := map[string]func() (StorageProof, uint64, []byte){
		"flipped segment byte": func() (StorageProof, uint64, []byte) { p := clone(); p.Segment[0] ^= 1; return p, 1, seed },
		"wrong chunk index":    func() (StorageProof, uint64, []byte) { return clone(), 2, seed },
		"other seed":           func() (StorageProof, uint64, []byte) { return clone(), 1, []byte("other") },
		"tampered path": func() (StorageProof, uint64, []byte) {
			p := clone()
			p.ManifestPath[0] = bytes.Repeat([]byte{7}, 32)
			return p, 1, seed
		},
		"lied size": func() (StorageProof, uint64, []byte) { p := clone(); p.ChunkLeaf[7] ^= 1; return p, 1, seed },
		"short leaf": func() (StorageProof, uint64, []byte) {
			p := clone()
			p.ChunkLeaf = p.ChunkLeaf[:10]
			return p, 1, seed
		},
		"index out of range": func() (StorageProof, uint64, []byte) { return clone(), 9, seed },
	}
	for name, mk := range cases {
		p, idx, s := mk()
		if err := p.Verify(root, uint64(len(chunks)), idx, s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := BuildStorageProof(leaves, 0, chunks[1], seed); err == nil {
		t.Error("built a proof from the wrong chunk")
	}
}

func FuzzStorageProofVerify(f *testing.F) {
	chunks, leaves := testManifest(f, 5000, 1500)
	root := ManifestRoot(leaves)
	p, err := BuildStorageProof(leaves, 0, chunks[0], []byte("s"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.ChunkLeaf, p.Segment, bytes.Join(p.SegmentPath, nil), bytes.Join(p.ManifestPath, nil), uint64(0), []byte("s"))
	f.Fuzz(func(t *testing.T, leaf, seg, segPath, manPath []byte, idx uint64, seed []byte) {
		split := func(b []byte) [][]byte {
			var out [][]byte
			for len(b) >= 32 {
				out, b = append(out, b[:32]), b[32:]
			}
			if len(b) > 0 {
				out = append(out, b)
			}
			return out
		}
		q := StorageProof{ChunkLeaf: leaf, Segment: seg, SegmentPath: split(segPath), ManifestPath: split(manPath)}
		_ = q.Verify(root, uint64(len(leaves)), idx, seed)
	})
}

func BenchmarkStorageProofVerify(b *testing.B) {
	sizes := make([]int, 1024)
	for i := range sizes {
		sizes[i] = 1 << 20
	}
	chunks, leaves := testManifest(b, sizes...)
	root := ManifestRoot(leaves)
	p, err := BuildStorageProof(leaves, 500, chunks[500], []byte("s"))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := p.Verify(root, 1024, 500, []byte("s")); err != nil {
			b.Fatal(err)
		}
	}
}
