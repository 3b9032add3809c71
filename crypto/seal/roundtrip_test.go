package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

// sizes around chunk boundaries for chunk size cs.
func sizes(cs int) []int {
	return []int{0, 1, cs - 1, cs, cs + 1, 2 * cs, 3*cs + 17}
}

func TestSealOpenRoundTrip(t *testing.T) {
	for _, cs := range []int{MinChunkSize, DefaultChunkSize} {
		for _, n := range sizes(cs) {
			for _, ad := range [][]byte{nil, []byte("registry:node7")} {
				t.Run(fmt.Sprintf("cs=%d/n=%d/ad=%d", cs, n, len(ad)), func(t *testing.T) {
					pt := payload(n)
					env, err := sealWith(detRand(9), testKey.Public(), pt, ad, cs)
					if err != nil {
						t.Fatal(err)
					}
					chunks := max(1, (n+cs-1)/cs)
					if len(env) != HeaderSize+n+chunks*ChunkOverhead {
						t.Fatalf("envelope %d bytes, want %d", len(env), HeaderSize+n+chunks*ChunkOverhead)
					}
					got, err := Open(testKey, env, ad)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("Open: %v (got %d bytes)", err, len(got))
					}
					got, err = readAll(testKey, bytes.NewReader(env), ad)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("NewReader: %v (got %d bytes)", err, len(got))
					}
				})
			}
		}
	}
}

func TestSealDefault(t *testing.T) {
	pt := []byte("backup manifest")
	env, err := Seal(testKey.Public(), pt, []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	env2, _ := Seal(testKey.Public(), pt, []byte("ad"))
	if bytes.Equal(env, env2) {
		t.Fatal("two seals of the same payload are identical")
	}
	got, err := Open(testKey, env, []byte("ad"))
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open: %q, %v", got, err)
	}
	// nil and empty associated data are the same thing.
	env, _ = Seal(testKey.Public(), pt, nil)
	if _, err := Open(testKey, env, []byte{}); err != nil {
		t.Fatalf("nil vs empty AD: %v", err)
	}
}

// writePatterns feed a writer the same payload in different slicings.
var writePatterns = map[string]func(w io.Writer, p []byte) error{
	"one write": func(w io.Writer, p []byte) error { _, err := w.Write(p); return err },
	"bytewise": func(w io.Writer, p []byte) error {
		for i := range p {
			if _, err := w.Write(p[i : i+1]); err != nil {
				return err
			}
		}
		return nil
	},
	"uneven": func(w io.Writer, p []byte) error {
		for step := 1; len(p) > 0; step = step*3 + 1 {
			k := min(step, len(p))
			if _, err := w.Write(p[:k]); err != nil {
				return err
			}
			p = p[k:]
		}
		return nil
	},
}

// readPatterns read an envelope through NewReader in different ways.
var readPatterns = map[string]func(src []byte, ad []byte) ([]byte, error){
	"ReadAll": func(src, ad []byte) ([]byte, error) { return readAll(testKey, bytes.NewReader(src), ad) },
	"one byte underneath": func(src, ad []byte) ([]byte, error) {
		return readAll(testKey, iotest.OneByteReader(bytes.NewReader(src)), ad)
	},
	"one byte on top": func(src, ad []byte) ([]byte, error) {
		r, err := NewReader(iotest.HalfReader(bytes.NewReader(src)), testKey, ad)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(iotest.OneByteReader(r))
	},
	"io.Copy (WriteTo)": func(src, ad []byte) ([]byte, error) {
		r, err := NewReader(bytes.NewReader(src), testKey, ad)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		_, err = io.Copy(&b, r)
		return b.Bytes(), err
	},
}

func TestStreamRoundTrip(t *testing.T) {
	cs := MinChunkSize
	for _, n := range sizes(cs) {
		for _, ad := range [][]byte{nil, []byte("backup:42")} {
			pt := payload(n)
			// The one-shot envelope with the same randomness is the reference:
			// both APIs must produce the same bytes.
			want, err := sealWith(detRand(3), testKey.Public(), pt, ad, cs)
			if err != nil {
				t.Fatal(err)
			}
			for wname, write := range writePatterns {
				if wname == "bytewise" && n > 2*cs {
					continue
				}
				var buf bytes.Buffer
				w, err := newWriter(detRand(3), &buf, testKey.Public(), ad, cs)
				if err != nil {
					t.Fatal(err)
				}
				if err := write(w, pt); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("n=%d %s: stream envelope differs from Seal's", n, wname)
				}
			}
			for rname, read := range readPatterns {
				got, err := read(want, ad)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("n=%d ad=%d %s: %v (%d bytes)", n, len(ad), rname, err, len(got))
				}
			}
		}
	}
}

func TestStreamPublicAPI(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testKey.Public(), []byte("ad"), 0)
	if err != nil {
		t.Fatal(err)
	}
	pt := payload(3*DefaultChunkSize + 5)
	if _, err := w.Write(pt); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close accepted")
	}
	got, err := Open(testKey, buf.Bytes(), []byte("ad"))
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open of stream: %v", err)
	}
}

func TestWriterArguments(t *testing.T) {
	for _, cs := range []int{-1, 1, MinChunkSize - 1, MaxChunkSize + 1} {
		if _, err := NewWriter(io.Discard, testKey.Public(), nil, cs); err == nil {
			t.Errorf("chunk size %d accepted", cs)
		}
	}
	for _, cs := range []int{MinChunkSize, MaxChunkSize} {
		if _, err := NewWriter(io.Discard, testKey.Public(), nil, cs); err != nil {
			t.Errorf("chunk size %d: %v", cs, err)
		}
	}
}

type failWriter struct{ after int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errDisk
	}
	f.after--
	return len(p), nil
}

func TestWriterErrorsAreSticky(t *testing.T) {
	if _, err := NewWriter(&failWriter{}, testKey.Public(), nil, 0); !errors.Is(err, errDisk) {
		t.Fatalf("header write error: %v", err)
	}
	w, err := NewWriter(&failWriter{after: 1}, testKey.Public(), nil, MinChunkSize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(payload(3 * MinChunkSize)); !errors.Is(err, errDisk) {
		t.Fatalf("chunk write error: %v", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, errDisk) {
		t.Fatalf("error not sticky: %v", err)
	}
	if err := w.Close(); !errors.Is(err, errDisk) {
		t.Fatalf("Close after error: %v", err)
	}
}

type failReader struct{ r io.Reader }

func (f failReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		err = errDisk
	}
	return n, err
}

// Read errors other than EOF reach the caller as they are.
func TestReaderPassesIOErrors(t *testing.T) {
	env := mustSeal(t, payload(3000), nil, MinChunkSize)
	for _, cut := range []int{3, 100, HeaderSize + 10, len(env)} {
		_, err := readAll(testKey, failReader{bytes.NewReader(env[:cut])}, nil)
		if !errors.Is(err, errDisk) {
			t.Errorf("cut at %d: got %v, want the I/O error", cut, err)
		}
	}
}
