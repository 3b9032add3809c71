package permissions

import (
	"errors"
	"testing"

	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"
)

func TestParseScopeAcceptsTheCatalogue(t *testing.T) {
	for name, info := range catalogue {
		if info.foreign { // needs the app it names
			name += ":notes"
		}
		sc, err := ParseScope(name)
		require.NoError(t, err, name)
		require.Equal(t, name, sc.String())
	}
	sc, err := ParseScope("storage:read:notes/")
	require.NoError(t, err)
	require.Equal(t, Scope{Name: "storage:read", Resource: "notes/"}, sc)
	require.True(t, Scope{Name: "bank:send"}.OnChain())
	require.False(t, Scope{Name: "ai:chat"}.OnChain())
}

func TestParseScopeRejects(t *testing.T) {
	cases := map[string]error{
		"":                          ErrMalformedScope,
		"storage":                   ErrMalformedScope,
		"Storage:read":              ErrUnknownScope,
		"storage:READ":              ErrUnknownScope,
		"storage:list":              ErrUnknownScope,
		"ai:chat:x":                 ErrResourceNotAllow,
		"storage:read:":             ErrBadResource,
		"storage:read:notes/../":    ErrBadResource,
		"storage:read:../notes":     ErrBadResource,
		"storage:read:notes/./a":    ErrBadResource,
		"storage:read:/etc":         ErrBadResource,
		"storage:read:notes//a":     ErrBadResource,
		"storage:read:notes%2f..":   ErrBadResource,
		"storage:read:notes%2e%2e/": ErrBadResource,
		"storage:read:notes\\..\\":  ErrBadResource,
		"storage:read:Notes/":       ErrBadResource,
		"storage:read:notes/\x00":   ErrBadResource,
		"storage:read:n\u00f6tes/":  ErrBadResource,
		"storage:read:a:b":          ErrBadResource,
		"storage:read:" + string(make([]byte, 129)): ErrBadResource,
		// Foreign scopes name the app first: never every app, never a malformed id.
		"storage:read-shared":                              ErrBadResource,
		"storage:read-shared:/notes":                       ErrBadResource,
		"storage:read-shared:ab/x":                         ErrBadResource, // too short for an app id
		"storage:read-shared:1app/x":                       ErrBadResource, // an id starts with a letter
		"storage:read-shared:app-/x":                       ErrBadResource,
		"storage:read-shared:app_x/y":                      ErrBadResource,
		"storage:read-shared:app/../x":                     ErrBadResource,
		"storage:read-shared:app/./x":                      ErrBadResource,
		"storage:read-shared:app//x":                       ErrBadResource,
		"storage:write-shared:app/x":                       ErrUnknownScope, // sharing is read-only
		"storage:read-shared:" + string(make([]byte, 129)): ErrBadResource,
	}
	for in, want := range cases {
		_, err := ParseScope(in)
		require.Truef(t, errors.Is(err, want), "%q: got %v, want %v", in, err, want)
	}
}

func TestCoversStaysInsideThePrefix(t *testing.T) {
	p := func(s string) Scope { sc, err := ParseScope(s); require.NoError(t, err, s); return sc }
	require.True(t, p("storage:read").Covers(p("storage:read:anything/at/all")))
	require.True(t, p("storage:read:notes/").Covers(p("storage:read:notes/a.txt")))
	require.False(t, p("storage:read:notes/").Covers(p("storage:read:notes")))
	require.True(t, p("storage:read:notes").Covers(p("storage:read:notes")))
	require.True(t, p("storage:read:notes").Covers(p("storage:read:notes/x")))
	require.False(t, p("storage:read:notes").Covers(p("storage:read:notesx")))
	require.False(t, p("storage:read:notes/").Covers(p("storage:write:notes/a")))
	require.False(t, p("storage:read:notes/").Covers(p("storage:read")), "a narrowed grant never covers everything")
}

// TestForeignScopes: storage:read-shared:<app>[/<prefix>] covers that app's keys
// under the prefix only; never the app's own storage:read, never an app whose id
// merely starts alike, never another prefix of the same app.
func TestForeignScopes(t *testing.T) {
	p := func(s string) Scope { sc, err := ParseScope(s); require.NoError(t, err, s); return sc }
	for _, s := range []string{"storage:read-shared:notes", "storage:read-shared:notes/", "storage:read-shared:notes/a/b.txt", "storage:read-shared:my-app-2/x"} {
		require.True(t, p(s).Foreign(), s)
	}
	require.False(t, p("storage:read:notes").Foreign())
	whole, under := p("storage:read-shared:notes"), p("storage:read-shared:notes/shared/")
	fs := func(app, key string) Scope { return ForeignScope("storage:read-shared", app, key) }
	require.True(t, whole.Covers(fs("notes", "a")))
	require.True(t, whole.Covers(fs("notes", "")), "the whole namespace covers a list of it")
	require.True(t, p("storage:read-shared:notes/").Covers(fs("notes", "")))
	require.False(t, whole.Covers(fs("notesx", "a")), "an app id is a whole segment")
	require.True(t, under.Covers(fs("notes", "shared/a")))
	require.False(t, under.Covers(fs("notes", "secrets/a")))
	require.False(t, under.Covers(fs("notes", "shared")))
	require.False(t, under.Covers(fs("notes", "")), "a narrowed grant never lists the whole namespace")
	require.False(t, under.Covers(fs("other", "shared/a")))
	require.False(t, whole.Covers(Scope{Name: "storage:read", Resource: "notes/a"}), "never the app's own namespace")
	require.False(t, p("storage:read").Covers(fs("notes", "a")), "storage:read never reaches another app")
	require.Equal(t, "storage:read-shared:notes/a", fs("notes", "a").String())
}

// FuzzParseScope: no panic; what parses re-encodes to the same string (canonical),
// and a parsed resource never contains a "." or ".." segment or leaves its prefix.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"ai:chat", "storage:read:notes/", "storage:write:a/b.c", "storage:read:notes/../x", "bank:send"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			return
		}
		if sc.String() != s {
			t.Fatalf("non-canonical accept: %q parsed as %q", s, sc.String())
		}
		again, err := ParseScope(sc.String())
		if err != nil || again != sc {
			t.Fatalf("round trip of %q failed: %v", s, err)
		}
		if sc.Resource != "" && validateResource(sc.Resource) != nil {
			t.Fatalf("accepted bad resource %q", sc.Resource)
		}
	})
}

func TestExecTypeURL(t *testing.T) {
	if got := "/" + proto.MessageName(&MsgExec{}); got != execTypeURL {
		t.Fatalf("execTypeURL is %s, the generated name is %s", execTypeURL, got)
	}
}
