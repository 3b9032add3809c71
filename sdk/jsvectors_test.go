package sdk

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/instance/wire"
)

// The JS SDK (sdk/js) signs requests with the same keys and bytes as this one:
// vectors.json is written here (go test ./sdk -run TestJSVectors -update-js-vectors)
// and read by sdk/js/test/unit/vectors.test.js; js_signatures.json is written by
// the JS side (npm run vectors) and verified here, so each language checks the other.
var updateJSVectors = flag.Bool("update-js-vectors", false, "rewrite sdk/js/test/fixtures/vectors.json")

const jsFixtures = "js/test/fixtures"

type signBytesVector struct {
	Owner     string `json:"owner"`
	Nonce     string `json:"nonce"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Body      string `json:"body_hex"`
	Timestamp int64  `json:"timestamp"`
	SignBytes string `json:"sign_bytes_hex"`
}

type keyVector struct {
	Type   string `json:"type"`
	Seed   string `json:"seed_hex"`
	PubKey string `json:"pub_key_hex"`
	Msg    string `json:"msg_hex"`
	Sig    string `json:"sig_hex"`
}

type jsVectors struct {
	SignBytes []signBytesVector `json:"sign_bytes"`
	Keys      []keyVector       `json:"keys"`
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func makeJSVectors(t *testing.T) jsVectors {
	var v jsVectors
	owner := "self1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v6"
	for _, c := range []struct {
		nonce, method, path, body string
		ts                        int64
	}{
		{"bm9uY2U", "POST", wire.PathSession, `{"scopes":["ai:chat","storage:read"]}`, 1796515200},
		{wire.SessionNonce("c2Vzc2lvbg", 7), "PUT", wire.PathStorage + "notes/a", "héllo", 1796515201},
		{wire.SessionNonce("c2Vzc2lvbg", 8), "GET", wire.PathStorage + "?cursor=notes%2Fb&limit=2&prefix=notes%2F", "", 1796515202},
	} {
		sb := wire.SignBytes(owner, c.nonce, c.method, c.path, []byte(c.body), c.ts)
		v.SignBytes = append(v.SignBytes, signBytesVector{owner, c.nonce, c.method, c.path, hex.EncodeToString([]byte(c.body)), c.ts, hex.EncodeToString(sb)})
	}
	msg := wire.SignBytes(owner, "bm9uY2U", "POST", wire.PathSession, []byte(`{"scopes":["ai:chat"]}`), 1796515200)
	for _, typ := range []string{crypto.KeyTypeEd25519, crypto.KeyTypeHybrid, crypto.KeyTypeMLDSA65} {
		seed := make([]byte, crypto.SeedSize)
		_, _ = rand.Read(seed)
		priv, err := crypto.PrivKeyFromTyped(typ, seed)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := priv.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		v.Keys = append(v.Keys, keyVector{typ, hex.EncodeToString(seed), hex.EncodeToString(priv.PubKey().Bytes()), hex.EncodeToString(msg), hex.EncodeToString(sig)})
	}
	return v
}

// checkKeyVectors derives each key from its seed and verifies its signature.
func checkKeyVectors(t *testing.T, file string, keys []keyVector) {
	t.Helper()
	if len(keys) == 0 {
		t.Fatalf("%s has no keys", file)
	}
	for _, k := range keys {
		priv, err := crypto.PrivKeyFromTyped(k.Type, unhex(t, k.Seed))
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(priv.PubKey().Bytes()); got != k.PubKey {
			t.Fatalf("%s %s: the seed derives another public key", file, k.Type)
		}
		if !priv.PubKey().VerifySignature(unhex(t, k.Msg), unhex(t, k.Sig)) {
			t.Fatalf("%s %s: the signature does not verify", file, k.Type)
		}
	}
}

func TestJSVectors(t *testing.T) {
	path := filepath.Join(jsFixtures, "vectors.json")
	if *updateJSVectors {
		bz, _ := json.MarshalIndent(makeJSVectors(t), "", "  ")
		if err := os.WriteFile(path, append(bz, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var v jsVectors
	bz, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bz, &v); err != nil {
		t.Fatal(err)
	}
	for _, s := range v.SignBytes {
		if got := hex.EncodeToString(wire.SignBytes(s.Owner, s.Nonce, s.Method, s.Path, unhex(t, s.Body), s.Timestamp)); got != s.SignBytes {
			t.Fatalf("SignBytes of %s %s changed: the JS SDK's vectors are stale", s.Method, s.Path)
		}
	}
	checkKeyVectors(t, "vectors.json", v.Keys)

	// Signatures made by the JS SDK's signers.
	var js struct {
		Keys []keyVector `json:"keys"`
	}
	bz, err = os.ReadFile(filepath.Join(jsFixtures, "js_signatures.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bz, &js); err != nil {
		t.Fatal(err)
	}
	checkKeyVectors(t, "js_signatures.json", js.Keys)
}
