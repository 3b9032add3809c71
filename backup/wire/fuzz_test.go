package wire

import (
	"bytes"
	"net/http"
	"testing"
)

func FuzzDecodeEntries(f *testing.F) {
	leaf := make([]byte, 40)
	leaf[7] = 9
	f.Add(EncodeEntries([]Entry{{ID: ID{1}, Kind: KindData, Leaf: leaf}, {ID: ID{2}, Kind: KindSnapshot, Leaf: leaf}}))
	f.Add([]byte{})
	f.Add(make([]byte, EntrySize))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := DecodeEntries(b)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeEntries(es), b) {
			t.Fatal("decode/encode does not round-trip")
		}
	})
}

func FuzzDecodeIDs(f *testing.F) {
	f.Add(EncodeIDs([]ID{{1}, {2}, {3}}))
	f.Add(EncodeIDs([]ID{{2}, {1}}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := DecodeIDs(b)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeIDs(ids), b) {
			t.Fatal("decode/encode does not round-trip")
		}
		for i := 1; i < len(ids); i++ {
			if bytes.Compare(ids[i-1][:], ids[i][:]) >= 0 {
				t.Fatal("accepted an unsorted list")
			}
		}
	})
}

// FuzzDecodeAuth feeds arbitrary header values to the request decoder a
// holder runs on every request.
func FuzzDecodeAuth(f *testing.F) {
	f.Add("ed25519", "AAAA", "123", "00112233445566778899aabbccddeeff", "AAAA")
	f.Add("hybrid", "", "", "", "")
	f.Add("", "!!", "-1", "zz", "==")
	f.Fuzz(func(t *testing.T, typ, key, ts, nonce, sig string) {
		h := http.Header{}
		h.Set(HeaderKeyType, typ)
		h.Set(HeaderKey, key)
		h.Set(HeaderTime, ts)
		h.Set(HeaderNonce, nonce)
		h.Set(HeaderSignature, sig)
		a, err := DecodeAuth(h)
		if err != nil {
			return
		}
		// Whatever decoded must be safe to verify against.
		_ = a.Pub.VerifySignature(SignBytes("PUT", "/v1/agreements/1/chunks", a.Time, a.Nonce, nil), a.Sig)
	})
}
