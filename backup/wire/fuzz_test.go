package wire

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/selfchain/selfchain/crypto"
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
	k, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	s, _ := NewSession(func(m []byte) ([]byte, crypto.PubKey, error) { sig, err := k.Sign(m); return sig, k.PubKey(), err }, time.Now(), time.Hour)
	req, _ := http.NewRequest("PUT", "http://h/v1/agreements/1/chunks", nil)
	s.SignRequest(req, BodyDigest(nil), time.Now(), [NonceSize]byte{1})
	hd := req.Header
	f.Add(hd.Get(HeaderKeyType), hd.Get(HeaderKey), hd.Get(HeaderSession), hd.Get(HeaderExpiry), hd.Get(HeaderGrant), hd.Get(HeaderTime), hd.Get(HeaderNonce), hd.Get(HeaderSignature))
	f.Add("hybrid", "", "", "", "", "", "", "")
	f.Add("", "!!", "AAAA", "x", "==", "-1", "zz", "==")
	f.Fuzz(func(t *testing.T, typ, key, sess, exp, grant, ts, nonce, sig string) {
		h := http.Header{}
		for name, v := range map[string]string{HeaderKeyType: typ, HeaderKey: key, HeaderSession: sess, HeaderExpiry: exp,
			HeaderGrant: grant, HeaderTime: ts, HeaderNonce: nonce, HeaderSignature: sig} {
			h.Set(name, v)
		}
		a, err := DecodeAuth(h)
		if err != nil {
			return
		}
		// Whatever decoded must be safe to verify.
		_ = a.VerifyRequest("PUT", "/v1/agreements/1/chunks", BodyDigest(nil))
		_ = a.VerifyGrant()
	})
}
