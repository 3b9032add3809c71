package holder

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/crypto"
)

// FuzzHandler sends arbitrary requests (method, path, body and auth
// headers, some of them validly signed) to the holder API: nothing may
// panic, and nothing may be stored unless the owner's session signed it.
func FuzzHandler(f *testing.F) {
	owner, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	st, err := OpenStore(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	chain := onchain.NewMemory()
	chain.Put(onchain.Agreement{ID: 1, Owner: owner.PubKey().Address().String(), Holder: "n", Status: onchain.StatusActive, Quota: 1 << 20})
	srv := NewServer(Config{NodeID: "n", Chain: chain, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := srv.Handler()
	sess, _ := wire.NewSession(signerOf(owner), time.Now(), time.Hour)

	f.Add("PUT", "/v1/agreements/1/chunks/"+wire.ID{1}.String()+"?kind=data", []byte("ciphertext"), true, false)
	f.Add("GET", "/v1/agreements/1/chunks", []byte{}, true, false)
	f.Add("PUT", "/v1/agreements/1/manifest", wire.EncodeIDs([]wire.ID{{1}}), true, true)
	f.Add("GET", "/v1/agreements/1/manifest?root=zz", []byte{}, false, false)
	f.Add("PUT", "/v1/agreements/99999999999999999999/chunks/x", []byte{1}, true, false)
	f.Fuzz(func(t *testing.T, method, path string, body []byte, sign, badDigest bool) {
		req, err := http.NewRequest(method, "http://holder"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		if sign {
			digest := wire.BodyDigest(body)
			if len(body) > 0 && !badDigest {
				if l := leafOf(body); l != nil && bytes.Contains([]byte(path), []byte("/chunks/")) {
					digest = l
				}
			}
			sess.SignRequest(req, digest, time.Now(), [wire.NonceSize]byte{byte(len(body)), byte(len(path)), byte(time.Now().UnixNano())})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !sign && rec.Code == http.StatusOK && method != "GET" {
			t.Fatalf("unsigned %s %s answered 200", method, path)
		}
	})
}
