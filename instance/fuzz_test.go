package instance

import (
	"strings"
	"testing"

	"github.com/selfchain/selfchain/x/permissions"
)

// FuzzStorageKey: an accepted key is a clean relative path a scope prefix can
// cover, with nothing that could escape the app's namespace.
func FuzzStorageKey(f *testing.F) {
	for _, s := range []string{"notes/a", "../x", "a/../b", "%2e%2e", "a//b", "/a", "a/", ".", "a\\b", "notes"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := StorageKey(s)
		if err != nil {
			return
		}
		if strings.Contains(k, "..") && (k == ".." || strings.HasPrefix(k, "../") || strings.Contains(k, "/../") || strings.HasSuffix(k, "/..")) {
			t.Fatalf("accepted %q", k)
		}
		if strings.ContainsAny(k, "%\\") || strings.HasPrefix(k, "/") || strings.HasSuffix(k, "/") || strings.Contains(k, "//") {
			t.Fatalf("accepted %q", k)
		}
		want := permissions.Scope{Name: "storage:read", Resource: k}
		if _, err := permissions.ParseScope(want.String()); err != nil {
			t.Fatalf("accepted key %q is not a valid resource: %v", k, err)
		}
	})
}

func FuzzStoragePrefix(f *testing.F) {
	for _, s := range []string{"", "notes/", "notes", "../", "a//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := StoragePrefix(s)
		if err == nil && sc.Resource != s {
			t.Fatalf("prefix %q became %q", s, sc.Resource)
		}
	})
}

func FuzzParseChatRequest(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":"hi"}],"stream":true,"context":"p"}`))
	f.Add([]byte(`{"messages":[]}`))
	f.Add([]byte(`{"messages":[{"role":"tool","content":""}],"max_tokens":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ParseChatRequest(b)
		if err != nil {
			return
		}
		if len(req.Messages) == 0 || len(req.Messages) > maxChatMessages || len(req.Context) > maxContextName || req.MaxTokens < 0 {
			t.Fatalf("accepted %+v", req)
		}
	})
}

func FuzzParseSessionRequest(f *testing.F) {
	f.Add([]byte(`{"scopes":["ai:chat","storage:read:notes/"]}`))
	f.Add([]byte(`{"scopes":["bank:send"]}`))
	f.Add([]byte(`{"scopes":[],"x":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		scopes, e := parseSessionRequest(b)
		if e != nil {
			return
		}
		for i, s := range scopes {
			p, err := permissions.ParseScope(s)
			if err != nil || p.String() != s || p.OnChain() || (i > 0 && scopes[i-1] >= s) {
				t.Fatalf("accepted %q", scopes)
			}
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add("ed25519:" + strings.Repeat("A", 44))
	f.Add("hybrid:AAAA")
	f.Add("nope")
	f.Fuzz(func(t *testing.T, s string) {
		pk, err := ParseKey(s)
		if err == nil && pk == nil {
			t.Fatal("nil key without error")
		}
	})
}

func FuzzSessionAccept(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint64(1))
	f.Fuzz(func(t *testing.T, a, b, c uint64) {
		s := &session{}
		for _, seq := range []uint64{a, b, c} {
			first := s.accept(seq)
			if first && s.accept(seq) {
				t.Fatalf("sequence %d accepted twice", seq)
			}
		}
	})
}

// FuzzSharedNamespace: the app a storage request names is a valid app id given
// exactly once, never the caller itself; a foreign scope built from it and an
// accepted key stays in that app's namespace, and a grant for another app or
// another prefix never covers it.
func FuzzSharedNamespace(f *testing.F) {
	for _, s := range []string{"app=diary", "app=diary&app=reader", "app=", "app=reader", "app=%zz", "app=diary%2f..", "version=1&app=diary", "app=DIARY", ""} {
		f.Add(s, "notes/a")
	}
	f.Fuzz(func(t *testing.T, q, key string) {
		ns, err := SharedNamespace(q, "reader")
		if err != nil || ns == "" {
			return
		}
		if ns == "reader" || permissions.ValidateAppID(ns) != nil {
			t.Fatalf("query %q: namespace %q", q, ns)
		}
		k, err := StorageKey(key)
		if err != nil {
			return
		}
		want := permissions.ForeignScope("storage:read-shared", ns, k)
		whole, err := permissions.ParseScope("storage:read-shared:" + ns)
		if err != nil || !whole.Covers(want) {
			t.Fatalf("the whole of %s does not cover %s: %v", ns, want, err)
		}
		other, _ := permissions.ParseScope("storage:read-shared:" + ns + "x")
		if other.Covers(want) {
			t.Fatalf("%s covers %s", other, want)
		}
	})
}
