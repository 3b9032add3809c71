package seal

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

var fuzzAD = []byte("fuzz")

// sentinels are the only errors Open/NewReader may return on a bytes input.
var sentinels = []error{ErrWrongRecipient, ErrUnsupportedVersion, ErrMalformed, ErrAuthentication, ErrTruncated}

func errClass(t *testing.T, err error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	t.Fatalf("error outside the documented set: %v", err)
	return nil
}

func addSeeds(f *testing.F, add func(env []byte)) {
	for i, n := range []int{0, 1, tcs - 1, tcs, 3*tcs + 5} {
		env, err := sealWith(detRand(uint64(100+i)), testKey.Public(), payload(n), fuzzAD, tcs)
		if err != nil {
			f.Fatal(err)
		}
		add(env)
	}
	other, _ := sealWith(detRand(200), otherKey.Public(), payload(10), fuzzAD, tcs)
	add(other)
	add(nil)
	add([]byte(magic))
	add([]byte("SEAL\x02\x01"))
}

// FuzzOpen: Open never panics, returns only documented errors, and agrees
// with NewReader.
func FuzzOpen(f *testing.F) {
	addSeeds(f, func(env []byte) { f.Add(env) })
	f.Fuzz(func(t *testing.T, env []byte) {
		got, err := Open(testKey, env, fuzzAD)
		viaReader, rerr := readAll(testKey, bytes.NewReader(env), fuzzAD)
		if err != nil {
			if got != nil {
				t.Fatal("Open returned plaintext with an error")
			}
			if c := errClass(t, err); c != errClass(t, rerr) {
				t.Fatalf("Open says %v, NewReader says %v", err, rerr)
			}
			return
		}
		if rerr != nil || !bytes.Equal(got, viaReader) {
			t.Fatalf("Open succeeded, NewReader: %v", rerr)
		}
	})
}

// chunkedReader returns at most step bytes per Read, to exercise the
// reader's handling of short reads at every boundary.
type chunkedReader struct {
	b    []byte
	step int
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.step)], c.b)
	c.b = c.b[n:]
	return n, nil
}

// FuzzReader: NewReader over input delivered in pieces of 1..256 bytes and
// read out in pieces of 1..256 bytes never panics, and reaches the same
// verdict as Open; what it releases is always a prefix of the plaintext.
func FuzzReader(f *testing.F) {
	addSeeds(f, func(env []byte) { f.Add(env, uint8(0), uint8(7)) })
	f.Fuzz(func(t *testing.T, env []byte, in, out uint8) {
		want, werr := Open(testKey, env, fuzzAD)
		r, err := NewReader(&chunkedReader{b: env, step: int(in) + 1}, testKey, fuzzAD)
		var got []byte
		if err == nil {
			buf := make([]byte, int(out)+1)
			for {
				n, rerr := r.Read(buf)
				got = append(got, buf[:n]...)
				if rerr == io.EOF {
					break
				}
				if rerr != nil {
					err = rerr
					break
				}
			}
		}
		if werr != nil {
			if err == nil {
				t.Fatalf("Open says %v, NewReader succeeded", werr)
			}
			if errClass(t, err) != errClass(t, werr) {
				t.Fatalf("Open says %v, NewReader says %v", werr, err)
			}
			return
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Open succeeded, NewReader: %v", err)
		}
	})
}

// FuzzParsePublicKeyString: never panics; what parses re-encodes to itself.
func FuzzParsePublicKeyString(f *testing.F) {
	f.Add(testKey.Public().String())
	f.Add("selfpub1qqqq")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := ParsePublicKeyString(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error outside ErrInvalidKey: %v", err)
			}
			return
		}
		if p2, err := ParsePublicKeyString(pub.String()); err != nil || !p2.Equal(pub) {
			t.Fatal("re-encoding does not round trip")
		}
	})
}

// FuzzOpenChunks keeps a valid, authenticated header and fuzzes only what
// follows it, so every input reaches the chunk parser (random whole
// envelopes almost never get past the key commitment).
func FuzzOpenChunks(f *testing.F) {
	env, err := sealWith(detRand(300), testKey.Public(), payload(2*tcs+3), fuzzAD, tcs)
	if err != nil {
		f.Fatal(err)
	}
	hdr := env[:HeaderSize]
	f.Add(env[HeaderSize:])
	f.Add(env[HeaderSize : HeaderSize+recLen])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		e := splice(hdr, body)
		got, err := Open(testKey, e, fuzzAD)
		viaReader, rerr := readAll(testKey, bytes.NewReader(e), fuzzAD)
		if err != nil {
			if errClass(t, err) != errClass(t, rerr) {
				t.Fatalf("Open says %v, NewReader says %v", err, rerr)
			}
			if !bytes.HasPrefix(payload(2*tcs+3), viaReader) {
				t.Fatal("NewReader released bytes that are not the sealed plaintext")
			}
			return
		}
		if rerr != nil || !bytes.Equal(got, viaReader) || !bytes.Equal(got, payload(2*tcs+3)) {
			t.Fatalf("Open accepted a different plaintext (%d bytes), NewReader: %v", len(got), rerr)
		}
	})
}
