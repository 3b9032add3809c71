package seal

import (
	"bytes"
	"io"
	"testing"
)

const streamSize = 100 << 20

// BenchmarkSealStream100MiB streams 100 MiB (written 1 MiB at a time) at
// the default chunk size: sealing to io.Discard, opening from memory, and
// both at once through an io.Pipe (one goroutine each).
func BenchmarkSealStream100MiB(b *testing.B) {
	pub := testKey.Public()
	block := payload(1 << 20)
	seal := func(w io.Writer) error {
		sw, err := NewWriter(w, pub, nil, 0)
		if err != nil {
			return err
		}
		for range streamSize / len(block) {
			if _, err := sw.Write(block); err != nil {
				return err
			}
		}
		return sw.Close()
	}

	b.Run("seal", func(b *testing.B) {
		b.SetBytes(streamSize)
		for b.Loop() {
			if err := seal(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("open", func(b *testing.B) {
		var env bytes.Buffer
		env.Grow(streamSize + streamSize/DefaultChunkSize*ChunkOverhead + HeaderSize)
		if err := seal(&env); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(streamSize)
		b.ResetTimer()
		for b.Loop() {
			r, err := NewReader(bytes.NewReader(env.Bytes()), testKey, nil)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != streamSize {
				b.Fatal(n, err)
			}
		}
	})

	b.Run("pipe", func(b *testing.B) {
		b.SetBytes(streamSize)
		for b.Loop() {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(seal(pw)) }()
			r, err := NewReader(pr, testKey, nil)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != streamSize {
				b.Fatal(n, err)
			}
		}
	})
}

// BenchmarkSeal1KiB is one-shot sealing of a small payload: dominated by
// the X-Wing encapsulation.
func BenchmarkSeal1KiB(b *testing.B) {
	pt := payload(1 << 10)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := Seal(testKey.Public(), pt, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen1KiB: dominated by the X-Wing decapsulation.
func BenchmarkOpen1KiB(b *testing.B) {
	env, err := Seal(testKey.Public(), payload(1<<10), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(1 << 10)
	for b.Loop() {
		if _, err := Open(testKey, env, nil); err != nil {
			b.Fatal(err)
		}
	}
}
