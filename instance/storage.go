package instance

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/x/permissions"
)

// List page sizes.
const (
	defaultPage = 100
	maxPage     = 1000
)

// StorageKey validates a storage key taken from the raw (still escaped) URL path:
// it must be a resource the scope parser accepts (a-z 0-9 . _ - /, no empty, "."
// or ".." segment, no leading "/") and not end in "/" (that is a prefix, not a
// key). A '%' is refused outright, so no encoding can smuggle a trick past the check.
func StorageKey(raw string) (string, error) {
	if strings.HasSuffix(raw, "/") {
		return "", errors.New("a key cannot end in \"/\"")
	}
	if _, err := permissions.ParseScope("storage:read:" + raw); err != nil {
		return "", err
	}
	return raw, nil
}

// StoragePrefix validates a list prefix ("" = every key).
func StoragePrefix(p string) (permissions.Scope, error) {
	if p == "" {
		return permissions.ParseScope("storage:read")
	}
	return permissions.ParseScope("storage:read:" + p)
}

func (s *Server) storage(w http.ResponseWriter, r *http.Request) {
	a, e := s.authenticate(r, s.cfg.MaxValueBytes)
	app, key := "", ""
	if a != nil {
		app, key = a.sess.app, a.sess.keyName
	}
	var scope, ns string
	if e == nil {
		if ns, e = sharedNamespace(r, app); e == nil && ns != "" {
			scope, e = s.sharedOp(w, r, a, ns)
		} else if e == nil {
			scope, e = s.storageOp(w, r, a)
		}
	}
	if a == nil || !a.audited {
		s.auditIn(r, app, ns, key, scope, e, "")
	}
	if e != nil {
		writeErr(w, e)
	}
}

// storageOp decides and runs one storage request; it writes the answer on success.
func (s *Server) storageOp(w http.ResponseWriter, r *http.Request, a *authed) (string, *apiError) {
	raw := strings.TrimPrefix(r.URL.EscapedPath(), wire.PathStorage)
	if raw == "" && r.Method == http.MethodGet {
		return s.list(w, r, a)
	}
	key, err := StorageKey(raw)
	if err != nil {
		return "", errf(http.StatusBadRequest, wire.CodeBadKey, "storage key %q: %v", raw, err)
	}
	var name string
	switch r.Method {
	case http.MethodGet:
		name = "storage:read"
	case http.MethodPut:
		name = "storage:write"
	case http.MethodDelete:
		name = "storage:delete"
	default:
		return "", errf(http.StatusMethodNotAllowed, wire.CodeBadRequest, "method %s: use GET, PUT or DELETE", r.Method)
	}
	want := permissions.Scope{Name: name, Resource: key}
	if e := a.decide(want); e != nil {
		return want.String(), e
	}
	app := a.sess.app
	switch r.Method {
	case http.MethodGet:
		var ver uint64
		if v := r.URL.Query().Get("version"); v != "" {
			if ver, err = parseUint(v); err != nil || ver == 0 {
				return want.String(), errf(http.StatusBadRequest, wire.CodeBadRequest, "version %q: want a positive integer", v)
			}
		}
		val, v, err := s.db.Get(app, key, ver)
		if errors.Is(err, errNotFound) {
			return want.String(), errf(http.StatusNotFound, wire.CodeNotFound, "no value under %q", key)
		} else if err != nil {
			return want.String(), errf(http.StatusInternalServerError, wire.CodeInternal, "%v", err)
		}
		w.Header()["Content-Type"] = contentOctet
		w.Header().Set(wire.HeaderVersion, strconv.FormatUint(v, 10))
		_, _ = w.Write(val)
	case http.MethodPut, http.MethodDelete:
		// The write and its audit entry commit together.
		scope := want.String()
		writeErr := func(err error) *apiError { return s.writeError(r.Method, key, err) }
		op := &writeOp{del: r.Method == http.MethodDelete, app: app, key: key, value: a.body, quota: s.quota,
			audit: func(err error) AuditEntry { return s.auditEntry(r, app, "", a.sess.keyName, scope, writeErr(err), "") }}
		if op.del {
			op.value = nil
		}
		v, audited, err := s.db.write(op)
		a.audited = audited
		if err != nil {
			return scope, writeErr(err)
		}
		writePut(w, key, v)
	}
	return want.String(), nil
}

// writeError is the answer to a storage write (method PUT or DELETE of key) that
// failed with err; nil for nil.
func (s *Server) writeError(method, key string, err error) *apiError {
	switch {
	case err == nil:
		return nil
	case method == http.MethodPut && errors.Is(err, errQuota):
		return errf(http.StatusInsufficientStorage, wire.CodeQuotaExceeded, "the instance's %s tier storage is full: %v", s.cfg.Tier, err)
	case method == http.MethodDelete && errors.Is(err, errNotFound):
		return errf(http.StatusNotFound, wire.CodeNotFound, "no value under %q", key)
	}
	return errf(http.StatusInternalServerError, wire.CodeInternal, "%v", err)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, a *authed) (string, *apiError) {
	q := r.URL.Query()
	prefix := q.Get("prefix")
	want, err := StoragePrefix(prefix)
	if err != nil {
		return "", errf(http.StatusBadRequest, wire.CodeBadKey, "prefix %q: %v", prefix, err)
	}
	if e := a.decide(want); e != nil {
		return want.String(), e
	}
	return want.String(), s.listPage(w, r, a.sess.app, prefix)
}

// sharedNamespace is SharedNamespace of r as a bad_request.
func sharedNamespace(r *http.Request, own string) (string, *apiError) {
	ns, err := SharedNamespace(r.URL.RawQuery, own)
	if err != nil {
		return "", errf(http.StatusBadRequest, wire.CodeBadRequest, "query parameter %s (the app whose namespace to read): %v", wire.QueryApp, err)
	}
	return ns, nil
}

// listPage writes one page of app's keys under prefix (already decided). Only keys
// the prefix covers are shown, so a page may hold fewer than limit items: follow
// next_cursor.
func (s *Server) listPage(w http.ResponseWriter, r *http.Request, app, prefix string) *apiError {
	q := r.URL.Query()
	limit := defaultPage
	if l := q.Get("limit"); l != "" {
		n, err := parseUint(l)
		if err != nil || n == 0 || n > maxPage {
			return errf(http.StatusBadRequest, wire.CodeBadRequest, "limit %q: want 1-%d", l, maxPage)
		}
		limit = int(n)
	}
	cursor := q.Get("cursor")
	if len(cursor) > permissions.MaxResourceLen {
		return errf(http.StatusBadRequest, wire.CodeBadRequest, "cursor too long")
	}
	rows, next, err := s.db.List(app, prefix, cursor, limit)
	if err != nil {
		return errf(http.StatusInternalServerError, wire.CodeInternal, "%v", err)
	}
	out := wire.ListResponse{Items: []wire.ListItem{}, NextCursor: coveredCursor(next, prefix)}
	for _, r := range rows {
		if !inPrefix(r.Key, prefix) {
			continue
		}
		out.Items = append(out.Items, wire.ListItem{Key: r.Key, Version: r.Version, Size: r.Size, UpdatedAt: r.Created})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
