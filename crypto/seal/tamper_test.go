package seal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// The tamper tests use an envelope of 5 full chunks and a 100-byte final
// chunk, chunk size 1 KiB.
const (
	tcs    = MinChunkSize
	tsize  = 5*tcs + 100
	recLen = recordHeaderSize + tcs + tagSize
)

var tad = []byte("tamper ad")

func tamperEnv(t *testing.T) []byte {
	env := mustSeal(t, payload(tsize), tad, tcs)
	if len(env) != chunkOffset(5, tcs)+recordHeaderSize+100+tagSize {
		t.Fatalf("unexpected layout: %d bytes", len(env))
	}
	return env
}

func flip(env []byte, off int) []byte {
	e := bytes.Clone(env)
	e[off] ^= 0x01
	return e
}

func put32(env []byte, off int, v uint32) []byte {
	e := bytes.Clone(env)
	binary.BigEndian.PutUint32(e[off:], v)
	return e
}

func TestWrongRecipient(t *testing.T) {
	env := tamperEnv(t)
	wantErr(t, otherKey, env, tad, ErrWrongRecipient)
	// The key id is checked before the KEM: a garbage KEM ciphertext
	// still reports the wrong recipient.
	e := bytes.Clone(env)
	clear(e[offKEM:offCommit])
	wantErr(t, otherKey, e, tad, ErrWrongRecipient)
}

func TestTamperedHeader(t *testing.T) {
	env := tamperEnv(t)
	cases := []struct {
		name string
		env  []byte
		want error
	}{
		{"magic", flip(env, 0), ErrMalformed},
		{"version", flip(env, 4), ErrUnsupportedVersion},
		{"suite", flip(env, 5), ErrUnsupportedVersion},
		{"key id", flip(env, offKeyID+3), ErrWrongRecipient},
		{"AD length", put32(env, offADLen, uint32(len(tad)+1)), ErrAuthentication},
		{"chunk size, in range", put32(env, offChunkSize, 2*tcs), ErrAuthentication},
		{"chunk size, in range, smaller", put32(env, offChunkSize, tcs+1), ErrAuthentication},
		{"chunk size, zero", put32(env, offChunkSize, 0), ErrMalformed},
		{"chunk size, huge", put32(env, offChunkSize, 1<<31), ErrMalformed},
		{"nonce prefix", flip(env, offNoncePrefix+7), ErrAuthentication},
		{"KEM ciphertext, ML-KEM part", flip(env, offKEM+500), ErrAuthentication},
		{"KEM ciphertext, X25519 part", flip(env, offCommit-1), ErrAuthentication},
		{"commitment", flip(env, offCommit+31), ErrAuthentication},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, testKey, c.env, tad, c.want) })
	}
}

func TestWrongAD(t *testing.T) {
	env := tamperEnv(t)
	wantErr(t, testKey, env, []byte("tamper aD"), ErrAuthentication) // same length
	wantErr(t, testKey, env, []byte("other"), ErrAuthentication)
	wantErr(t, testKey, env, nil, ErrAuthentication)
}

func TestTamperedChunks(t *testing.T) {
	env := tamperEnv(t)
	c2 := chunkOffset(2, tcs)
	cases := []struct {
		name string
		env  []byte
		want error
	}{
		{"ciphertext byte, middle chunk", flip(env, c2+recordHeaderSize+500), ErrAuthentication},
		{"tag byte, middle chunk", flip(env, c2+recLen-1), ErrAuthentication},
		{"ciphertext byte, final chunk", flip(env, chunkOffset(5, tcs)+recordHeaderSize+3), ErrAuthentication},
		{"final flag set on a middle chunk", put32(env, c2, finalBit|tcs), ErrAuthentication},
		{"final flag cleared on the final chunk", put32(env, chunkOffset(5, tcs), 100), ErrAuthentication},
		{"shorter length on a middle chunk", put32(env, c2, tcs-16), ErrAuthentication},
		{"length beyond chunk size", put32(env, c2, tcs+1), ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, testKey, c.env, tad, c.want) })
	}
}

func TestReorderReplayDrop(t *testing.T) {
	env := tamperEnv(t)
	rec := func(i int) []byte { return env[chunkOffset(i, tcs):chunkOffset(i+1, tcs)] }
	head, tail := env[:chunkOffset(1, tcs)], env[chunkOffset(3, tcs):]
	cases := []struct {
		name string
		env  []byte
		want error
	}{
		{"chunks 1 and 2 swapped", splice(head, rec(2), rec(1), tail), ErrAuthentication},
		{"chunk 1 replayed", splice(head, rec(1), rec(1), rec(2), tail), ErrAuthentication},
		{"chunk 1 replayed in place of 2", splice(head, rec(1), rec(1), tail), ErrAuthentication},
		{"chunk 2 dropped", splice(head, rec(1), tail), ErrAuthentication},
		{"final chunk replayed at the end", splice(env, env[chunkOffset(5, tcs):]), ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, testKey, c.env, tad, c.want) })
	}
}

func TestSplicedEnvelopes(t *testing.T) {
	a := tamperEnv(t)
	b, err := sealWith(detRand(77), testKey.Public(), payload(tsize), tad, tcs)
	if err != nil {
		t.Fatal(err)
	}
	// Same key, same position, same plaintext: still bound to its own header.
	c2 := chunkOffset(2, tcs)
	wantErr(t, testKey, splice(a[:c2], b[c2:c2+recLen], a[c2+recLen:]), tad, ErrAuthentication)
	wantErr(t, testKey, splice(a[:HeaderSize], b[HeaderSize:]), tad, ErrAuthentication)
}

func TestTruncation(t *testing.T) {
	env := tamperEnv(t)
	final := chunkOffset(5, tcs)
	cases := []struct {
		name string
		env  []byte
	}{
		{"final chunk dropped", env[:final]},
		{"final and one more dropped", env[:chunkOffset(4, tcs)]},
		{"cut mid middle chunk", env[:chunkOffset(2, tcs)+300]},
		{"cut mid final chunk", env[:final+recordHeaderSize+50]},
		{"cut in a record header", env[:final+2]},
		{"final tag cut", env[:len(env)-1]},
		{"no chunks", env[:HeaderSize]},
		{"cut in header", env[:700]},
		{"magic only", env[:3]},
		{"empty", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, testKey, c.env, tad, ErrTruncated) })
	}
}

// Every proper prefix of an envelope is reported as truncated, by both APIs.
func TestEveryPrefixIsTruncated(t *testing.T) {
	env := mustSeal(t, payload(2*tcs+10), nil, tcs)
	for i := range len(env) {
		if _, err := Open(testKey, env[:i], nil); !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix %d: Open got %v", i, err)
		}
	}
	// NewReader on a sample (each one does a KEM decapsulation).
	for i := 0; i < len(env); i += 97 {
		if _, err := readAll(testKey, bytes.NewReader(env[:i]), nil); !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix %d: NewReader got %v", i, err)
		}
	}
}

func TestTrailingData(t *testing.T) {
	env := tamperEnv(t)
	wantErr(t, testKey, splice(env, []byte{0}), tad, ErrMalformed)
	wantErr(t, testKey, splice(env, []byte("garbage after the envelope")), tad, ErrMalformed)
	empty := mustSeal(t, nil, nil, 0)
	wantErr(t, testKey, splice(empty, []byte{1, 2, 3, 4}), nil, ErrMalformed)
}

// The reader releases exactly the chunks that authenticated before the
// failure, and nothing of a final chunk followed by trailing data.
func TestReaderReleasesOnlyAuthenticatedChunks(t *testing.T) {
	env := tamperEnv(t)
	pt := payload(tsize)
	cases := []struct {
		name     string
		env      []byte
		released int
		want     error
	}{
		{"chunk 2 tampered", flip(env, chunkOffset(2, tcs)+recordHeaderSize+9), 2 * tcs, ErrAuthentication},
		{"trailing data", splice(env, []byte{0}), 5 * tcs, ErrMalformed},
		{"final chunk dropped", env[:chunkOffset(5, tcs)], 5 * tcs, ErrTruncated},
	}
	for _, c := range cases {
		got, err := readAll(testKey, bytes.NewReader(c.env), tad)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if len(got) != c.released || !bytes.Equal(got, pt[:len(got)]) {
			t.Errorf("%s: released %d bytes, want %d", c.name, len(got), c.released)
		}
		if out, err := Open(testKey, c.env, tad); out != nil || err == nil {
			t.Errorf("%s: Open released %d bytes", c.name, len(out))
		}
	}
}

// An authentic but non-conforming writer (a short non-final chunk) is
// rejected as malformed.
func TestShortNonFinalChunkRejected(t *testing.T) {
	hdr, s, err := newSender(detRand(5), testKey.Public(), nil, tcs)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := s.seal(hdr, payload(10), false)
	env, _ = s.seal(env, payload(10), true)
	wantErr(t, testKey, env, nil, ErrMalformed)
}
