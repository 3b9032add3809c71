// Package permissions records which apps a user has granted which scopes: apps
// and their declared scopes, users' grants with expiry and limits, revocation and a
// user-wide kill switch; MsgExec enforces grants on chain, and the check query
// (verifiable with package verify) answers the same question off chain.
package permissions

import (
	"errors"
	"fmt"
	"strings"
)

// CatalogueVersion names the scope catalogue below; adding or changing a scope bumps it.
// v2 added storage:read-shared (state-breaking: a v1 binary rejects grants of it).
// Every v1 scope parses and covers exactly as before, so v1 grants stay valid.
const CatalogueVersion = 2

// scopeInfo describes one catalogue scope: whether it may be narrowed to a resource
// prefix, whether it lets an app act for the user on chain, and whether a grant of
// it must carry a spend limit. A foreign scope names another app's namespace: its
// resource is required and starts with that app's id ("<app-id>[/<prefix>]").
type scopeInfo struct {
	resource bool
	foreign  bool
	onChain  bool
	spend    bool
}

var catalogue = map[string]scopeInfo{
	"ai:chat":        {},
	"ai:context":     {},
	"storage:read":   {resource: true},
	"storage:write":  {resource: true},
	"storage:delete": {resource: true},
	// Read and list another app's namespace (cross-app sharing; read-only by design).
	"storage:read-shared": {resource: true, foreign: true},
	"profile:read":        {},
	"messaging:send":      {},
	"backup:manage":       {},
	"registry:heartbeat":  {onChain: true},
	"bank:send":           {onChain: true, spend: true},
}

// Limits on a scope string, checked before anything else.
const (
	MaxScopeLen    = 160
	MaxResourceLen = 128
)

var (
	ErrUnknownScope     = errors.New("unknown scope")
	ErrMalformedScope   = errors.New("malformed scope")
	ErrResourceNotAllow = errors.New("scope takes no resource")
	ErrBadResource      = errors.New("invalid resource prefix")
)

// Scope is a catalogue scope, optionally narrowed to a resource prefix
// ("storage:read:notes/"). Its String form is its only accepted encoding.
type Scope struct {
	Name     string // e.g. "storage:read"
	Resource string // "" = every resource
}

// ParseScope parses "<domain>:<action>[:<resource>]" strictly: lower-case
// catalogue names only, and a resource that is a clean relative path prefix —
// no empty, "." or ".." segments, no leading "/", no backslashes, percent signs or
// other characters outside [a-z0-9._-/] — so a prefix cannot escape by encoding.
func ParseScope(s string) (Scope, error) {
	if len(s) == 0 || len(s) > MaxScopeLen {
		return Scope{}, fmt.Errorf("%w: length %d (want 1-%d)", ErrMalformedScope, len(s), MaxScopeLen)
	}
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return Scope{}, fmt.Errorf("%w %q: want <domain>:<action>[:<resource>]", ErrMalformedScope, s)
	}
	name := parts[0] + ":" + parts[1]
	info, ok := catalogue[name]
	if !ok {
		return Scope{}, fmt.Errorf("%w %q (catalogue v%d)", ErrUnknownScope, name, CatalogueVersion)
	}
	sc := Scope{Name: name}
	if len(parts) == 3 {
		if !info.resource {
			return Scope{}, fmt.Errorf("%w: %s", ErrResourceNotAllow, name)
		}
		if err := validateResource(parts[2]); err != nil {
			return Scope{}, err
		}
		sc.Resource = parts[2]
	}
	if info.foreign {
		if err := validateForeign(sc); err != nil {
			return Scope{}, err
		}
	}
	return sc, nil
}

func validateResource(r string) error {
	if r == "" || len(r) > MaxResourceLen {
		return fmt.Errorf("%w: length %d (want 1-%d)", ErrBadResource, len(r), MaxResourceLen)
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/') {
			return fmt.Errorf("%w %q: character %q (allowed: a-z 0-9 . _ - /)", ErrBadResource, r, c)
		}
	}
	segs := strings.Split(r, "/")
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case seg == "" && !last: // leading "/" or "//"
			return fmt.Errorf("%w %q: empty path segment", ErrBadResource, r)
		case seg == "." || seg == "..":
			return fmt.Errorf("%w %q: %q segment", ErrBadResource, r, seg)
		}
	}
	return nil
}

// validateForeign checks a foreign scope's resource: required (no grant of every
// app's data exists), and its first segment a valid app id, so the "/" after the id
// keeps "notes" from covering app "notesx".
func validateForeign(sc Scope) error {
	if sc.Resource == "" {
		return fmt.Errorf("%w: %s needs the app whose data it shares: %s:<app-id>[/<prefix>]", ErrBadResource, sc.Name, sc.Name)
	}
	app, _, _ := strings.Cut(sc.Resource, "/")
	if err := ValidateAppID(app); err != nil {
		return fmt.Errorf("%w %q: the first segment must be an app id: %v", ErrBadResource, sc.Resource, err)
	}
	return nil
}

// Foreign reports whether the scope names another app's namespace (its resource is
// "<app-id>[/<prefix>]").
func (s Scope) Foreign() bool { return catalogue[s.Name].foreign }

// ForeignScope is the scope a request by one app for key in app's namespace needs:
// name (e.g. "storage:read-shared") with resource "<app>/<key>". It is built, not
// parsed, so a key of up to MaxResourceLen fits after any app id; Covers compares
// strings and needs no parse.
func ForeignScope(name, app, key string) Scope {
	return Scope{Name: name, Resource: app + "/" + key}
}

func (s Scope) String() string {
	if s.Resource == "" {
		return s.Name
	}
	return s.Name + ":" + s.Resource
}

// OnChain reports whether the scope lets an app act for the user on chain (MsgExec).
func (s Scope) OnChain() bool { return catalogue[s.Name].onChain }

// SpendLimited reports whether a grant of the scope must carry a spend limit.
func (s Scope) SpendLimited() bool { return catalogue[s.Name].spend }

// Covers reports whether a grant of s allows a request for want: the same scope,
// and want's resource inside s's prefix. A prefix ending in "/" covers what is under
// it; one without covers itself and what is under it ("notes" covers "notes" and
// "notes/a", never "notesx").
func (s Scope) Covers(want Scope) bool {
	if s.Name != want.Name {
		return false
	}
	if s.Resource == "" {
		return true
	}
	if want.Resource == "" {
		return false
	}
	if strings.HasSuffix(s.Resource, "/") {
		return strings.HasPrefix(want.Resource, s.Resource)
	}
	return want.Resource == s.Resource || strings.HasPrefix(want.Resource, s.Resource+"/")
}
