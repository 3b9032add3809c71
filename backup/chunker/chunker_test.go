package chunker

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"
)

func chunks(t testing.TB, data []byte, tab *Table) [][32]byte {
	c, err := New(bytes.NewReader(data), tab, DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	var out [][32]byte
	total := 0
	for {
		b, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > DefaultMax {
			t.Fatalf("chunk of %d bytes", len(b))
		}
		total += len(b)
		out = append(out, sha256.Sum256(b))
	}
	if total != len(data) {
		t.Fatalf("chunks cover %d of %d bytes", total, len(data))
	}
	return out
}

func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// An edit in the middle of a file changes only the chunks near it.
func TestEditInMiddleChangesNearbyChunksOnly(t *testing.T) {
	tab := NewTable([]byte("owner secret"))
	data := randomData(32<<20, 1)
	before := chunks(t, data, tab)
	if len(before) < 16 || len(before) > 64 {
		t.Fatalf("%d chunks for 32 MiB, want about 32", len(before))
	}
	edited := bytes.Clone(data)
	copy(edited[16<<20:], []byte("an edit in the middle of the file"))
	after := chunks(t, edited, tab)
	seen := map[[32]byte]bool{}
	for _, h := range before {
		seen[h] = true
	}
	fresh := 0
	for _, h := range after {
		if !seen[h] {
			fresh++
		}
	}
	if fresh == 0 || fresh > 2 {
		t.Fatalf("%d new chunks after a 33-byte edit, want 1 or 2", fresh)
	}
	// An insertion shifts everything after it; content-defined cuts resync.
	inserted := append(append(bytes.Clone(data[:8<<20]), []byte("inserted bytes")...), data[8<<20:]...)
	fresh = 0
	for _, h := range chunks(t, inserted, tab) {
		if !seen[h] {
			fresh++
		}
	}
	if fresh == 0 || fresh > 2 {
		t.Fatalf("%d new chunks after an insertion, want 1 or 2", fresh)
	}
}

// Another key cuts the same data elsewhere (boundaries do not leak content).
func TestKeyedBoundaries(t *testing.T) {
	data := randomData(8<<20, 2)
	a := chunks(t, data, NewTable([]byte("a")))
	b := chunks(t, data, NewTable([]byte("b")))
	same := map[[32]byte]bool{}
	for _, h := range a {
		same[h] = true
	}
	for _, h := range b {
		if same[h] {
			t.Fatal("two keys produced a common chunk of random data")
		}
	}
}

func TestSmallAndEmpty(t *testing.T) {
	tab := NewTable(nil)
	if got := chunks(t, nil, tab); len(got) != 0 {
		t.Fatalf("empty input gave %d chunks", len(got))
	}
	if got := chunks(t, []byte("x"), tab); len(got) != 1 {
		t.Fatalf("1 byte gave %d chunks", len(got))
	}
	if _, err := New(nil, tab, Params{Min: 1, Avg: 3, Max: 4}); err == nil {
		t.Fatal("avg not a power of two accepted")
	}
}

func BenchmarkChunker(b *testing.B) {
	data := randomData(64<<20, 3)
	tab := NewTable(nil)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c, _ := New(bytes.NewReader(data), tab, DefaultParams)
		for {
			if _, err := c.Next(); err != nil {
				break
			}
		}
	}
}
