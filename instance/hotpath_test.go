package instance

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/sdk"
)

// TestWriteAuditedWithWrite: a storage write's audit entry is committed with the
// write (one entry each, never a second from the handler), with the contents the
// audit writer used to get: allowed writes, a quota refusal and a delete of a
// missing key, each with its scope, method, path, code and the message the app got.
func TestWriteAuditedWithWrite(t *testing.T) {
	rwd := []string{"storage:read", "storage:write", "storage:delete"}
	c, db := startGateway(t, rwd, rwd, func(c *Config) { c.Tier, c.QuotaBytes = "enterprise", 600 })
	ctx := context.Background()
	sess, err := c.Authenticate(ctx, "bench", testOwnerKey(), rwd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Storage.Save(ctx, "a", make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	_, errQ := sess.Storage.Save(ctx, "b", make([]byte, 1000))
	if errCode(errQ) != wire.CodeQuotaExceeded {
		t.Fatalf("over quota: %v", errQ)
	}
	errNF := sess.Storage.Delete(ctx, "missing")
	if errCode(errNF) != wire.CodeNotFound {
		t.Fatalf("delete missing: %v", errNF)
	}
	if err := sess.Storage.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	es, err := db.AuditLog("bench", 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []AuditEntry
	for _, e := range es {
		if e.Method == "PUT" || e.Method == "DELETE" {
			got = append(got, e)
		}
	}
	want := []struct{ method, path, scope, result, reason string }{
		{"PUT", "/v1/storage/a", "storage:write:a", "allowed", ""},
		{"PUT", "/v1/storage/b", "storage:write:b", wire.CodeQuotaExceeded, sdkMessage(errQ)},
		{"DELETE", "/v1/storage/missing", "storage:delete:missing", wire.CodeNotFound, sdkMessage(errNF)},
		{"DELETE", "/v1/storage/a", "storage:delete:a", "allowed", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d write entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Method != w.method || g.Path != w.path || g.Scope != w.scope || g.Result != w.result || g.Reason != w.reason ||
			g.App != "bench" || g.Namespace != "" || g.AppKey == "" || g.Height == 0 || g.Time == 0 {
			t.Fatalf("entry %d: %+v, want %+v", i, g, w)
		}
	}
}

func sdkMessage(err error) string {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// TestWritePutMatchesJSON: writePut writes exactly what json.Encoder writes for
// wire.PutResponse, for plain keys and for keys JSON escapes.
func TestWritePutMatchesJSON(t *testing.T) {
	for _, k := range []string{"a", "notes/2026/x.txt", "a-b_c.d", "", `q"uote`, `back\slash`, "<b>&", "é", "\x01", "\x7f"} {
		for _, v := range []uint64{0, 1, 18446744073709551615} {
			rec := httptest.NewRecorder()
			writePut(rec, k, v)
			var want bytes.Buffer
			_ = json.NewEncoder(&want).Encode(wire.PutResponse{Key: k, Version: v})
			if rec.Body.String() != want.String() || rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("key %q version %d: %q (%d, %q), want %q", k, v, rec.Body.String(), rec.Code, rec.Header().Get("Content-Type"), want.String())
			}
		}
	}
}

// TestSessionSignBytes: AppendSessionSignBytes is SignBytes with SessionNonce,
// appended after what dst held.
func TestSessionSignBytes(t *testing.T) {
	checkSessionSignBytes(t, "self1owner", "tok", 7, "PUT", "/v1/storage/a?x=1", []byte("body"), 1_700_000_000)
	checkSessionSignBytes(t, "", "", 0, "", "", nil, -5)
}

func checkSessionSignBytes(t *testing.T, owner, tok string, seq uint64, method, pq string, body []byte, ts int64) {
	t.Helper()
	want := wire.SignBytes(owner, wire.SessionNonce(tok, seq), method, pq, body, ts)
	got := wire.AppendSessionSignBytes([]byte("prefix"), owner, tok, seq, method, pq, body, ts)
	if !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("%q, want prefix+%q", got, want)
	}
}

func FuzzSessionSignBytes(f *testing.F) {
	f.Add("self1owner", "tok", uint64(7), "PUT", "/v1/storage/a", []byte("v"), int64(1))
	f.Fuzz(func(t *testing.T, owner, tok string, seq uint64, method, pq string, body []byte, ts int64) {
		checkSessionSignBytes(t, owner, tok, seq, method, pq, body, ts)
	})
}

// TestSigVerifierMatchesStdlib: the precomputed Ed25519 verifier of a session
// accepts exactly what the key's own VerifySignature accepts (valid, tampered,
// truncated, empty, malleated S), and verifyWith decodes base64 as DecodeString does.
func TestSigVerifierMatchesStdlib(t *testing.T) {
	pk, sk := ed25519Key(t)
	msg := []byte("selfinstance/v1\nowner\ntok/1\nPUT\n/v1/storage/a\nabc\n1")
	sig := ed25519.Sign(sk, msg)
	malleated := bytes.Clone(sig)
	malleated[63] ^= 0x10 // S + something: non-canonical or wrong
	for _, c := range []struct {
		msg, sig []byte
	}{{msg, sig}, {msg[1:], sig}, {msg, sig[:63]}, {msg, nil}, {msg, malleated}, {msg, append(bytes.Clone(sig), 0)}, {nil, sig}} {
		checkVerifier(t, pk, c.msg, base64.StdEncoding.EncodeToString(c.sig))
	}
	for _, b64 := range []string{"", "!!!", "QQ", base64.StdEncoding.EncodeToString(sig)[:40]} {
		checkVerifier(t, pk, msg, b64)
	}
}

func ed25519Key(t testing.TB) (crypto.PubKey, ed25519.PrivateKey) {
	pub, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := crypto.PubKeyFromTyped(crypto.KeyTypeEd25519, pub)
	if err != nil {
		t.Fatal(err)
	}
	return pk, sk
}

func checkVerifier(t testing.TB, pk crypto.PubKey, msg []byte, b64 string) {
	t.Helper()
	sig, err := base64.StdEncoding.DecodeString(b64)
	want := err == nil && len(sig) > 0 && pk.VerifySignature(msg, sig)
	got := verifyWith(newSigVerifier(pk), msg, b64) == nil
	if got != want {
		t.Fatalf("signature %q over %q: precomputed verifier says %v, the key says %v", b64, msg, got, want)
	}
}

func FuzzSigVerifier(f *testing.F) {
	pk, sk := ed25519Key(f)
	f.Add([]byte("m"), base64.StdEncoding.EncodeToString(ed25519.Sign(sk, []byte("m"))))
	f.Add([]byte(""), "AAAA")
	verify := newSigVerifier(pk)
	f.Fuzz(func(t *testing.T, msg []byte, b64 string) {
		sig, err := base64.StdEncoding.DecodeString(b64)
		want := err == nil && len(sig) > 0 && pk.VerifySignature(msg, sig)
		if got := verifyWith(verify, msg, b64) == nil; got != want {
			t.Fatalf("precomputed verifier says %v, the key says %v", got, want)
		}
		// A real signature over the fuzzed message verifies too.
		if verifyWith(verify, msg, base64.StdEncoding.EncodeToString(ed25519.Sign(sk, msg))) != nil {
			t.Fatal("a valid signature refused")
		}
	})
}
