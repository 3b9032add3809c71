package instance

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/x/permissions"
)

// Cross-app sharing: app A reads app B's namespace with "?app=B". Effective access
// is what A declared on chain ∩ what the user granted A (storage:read-shared:B/<prefix>),
// both proven at the current height like every other request, so a revoke, a
// narrowed declaration or the kill switch ends it within one block. Sharing is
// read-only: A may read and list B's keys, never write or delete them (B's data
// would otherwise be whatever any app granted wrote, and B trusts its own data).

// sharedScope is the catalogue scope of reads in another app's namespace.
const sharedScope = "storage:read-shared"

// SharedNamespace returns the app whose namespace a storage request names with
// the "app" query parameter: "" when absent or naming own (the caller itself).
// The parameter must appear once and be a valid app id.
func SharedNamespace(rawQuery, own string) (string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", err
	}
	v, ok := q[wire.QueryApp]
	switch {
	case !ok:
		return "", nil
	case len(v) != 1:
		return "", errors.New("give app at most once")
	}
	if err := permissions.ValidateAppID(v[0]); err != nil {
		return "", err
	}
	if v[0] == own {
		return "", nil
	}
	return v[0], nil
}

// sharedOp decides and runs a request by a.sess.app in app ns's namespace: GET of
// a key or a list, nothing else. It writes the answer on success.
func (s *Server) sharedOp(w http.ResponseWriter, r *http.Request, a *authed, ns string) (string, *apiError) {
	raw := strings.TrimPrefix(r.URL.EscapedPath(), wire.PathStorage)
	if r.Method != http.MethodGet {
		if r.Method == http.MethodPut || r.Method == http.MethodDelete {
			return "", errf(http.StatusForbidden, wire.CodeSharedReadOnly,
				"app %s's namespace is read-only to %s: %s reads and lists it with %s, writes only its own (no %s)", ns, a.sess.app, a.sess.app, sharedScope, wire.QueryApp)
		}
		return "", errf(http.StatusMethodNotAllowed, wire.CodeBadRequest, "method %s: use GET in another app's namespace", r.Method)
	}
	if raw == "" {
		prefix := r.URL.Query().Get("prefix")
		if _, err := StoragePrefix(prefix); err != nil {
			return "", errf(http.StatusBadRequest, wire.CodeBadKey, "prefix %q: %v", prefix, err)
		}
		want := permissions.ForeignScope(sharedScope, ns, prefix)
		if e := a.decide(want); e != nil {
			return want.String(), e
		}
		w.Header().Set(wire.HeaderNamespace, ns)
		return want.String(), s.listPage(w, r, ns, prefix)
	}
	key, err := StorageKey(raw)
	if err != nil {
		return "", errf(http.StatusBadRequest, wire.CodeBadKey, "storage key %q: %v", raw, err)
	}
	want := permissions.ForeignScope(sharedScope, ns, key)
	if e := a.decide(want); e != nil {
		return want.String(), e
	}
	var ver uint64
	if v := r.URL.Query().Get("version"); v != "" {
		if ver, err = parseUint(v); err != nil || ver == 0 {
			return want.String(), errf(http.StatusBadRequest, wire.CodeBadRequest, "version %q: want a positive integer", v)
		}
	}
	val, v, err := s.db.Get(ns, key, ver)
	if errors.Is(err, errNotFound) {
		return want.String(), errf(http.StatusNotFound, wire.CodeNotFound, "no value under %q in app %s's namespace", key, ns)
	} else if err != nil {
		return want.String(), errf(http.StatusInternalServerError, wire.CodeInternal, "%v", err)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set(wire.HeaderVersion, strconv.FormatUint(v, 10))
	w.Header().Set(wire.HeaderNamespace, ns)
	_, _ = w.Write(val)
	return want.String(), nil
}

// inPrefix reports whether key is one a list of prefix may show — the parser's
// prefix rule, not a byte prefix: "notes" lists "notes" and "notes/a", never
// "notesx", which a grant of storage:read:notes does not cover.
func inPrefix(key, prefix string) bool {
	if prefix == "" || strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(key, prefix)
	}
	return key == prefix || strings.HasPrefix(key, prefix+"/")
}

// coveredCursor keeps a list's next cursor from naming a key the prefix does not
// cover (the page's last scanned key may be "notes-a" or "notesx" for prefix
// "notes"). Keys sort so that the uncovered ones come before "notes/" ('-' and '.'
// sort below '/') or after every "notes/…" key: a cursor before it moves to
// "notes/" (no key ends in '/', so nothing is skipped); one after it ends the list.
func coveredCursor(next, prefix string) string {
	if next == "" || inPrefix(next, prefix) {
		return next
	}
	if next < prefix+"/" && len(prefix) < permissions.MaxResourceLen {
		return prefix + "/"
	}
	return ""
}
