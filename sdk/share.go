package sdk

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/x/permissions"
)

// SharedStorage reads another app's namespace in the user's storage, with the
// user's consent: the session's grant must include storage:read-shared:<app>[/<prefix>]
// (and the app must declare it in x/permissions). Read-only: the instance refuses
// writes and deletes there (shared_read_only).
type SharedStorage struct {
	s   *Session
	app string
}

// Shared is app's namespace, read-only. The app id is checked when a request is made.
func (st *Storage) Shared(app string) *SharedStorage { return &SharedStorage{s: st.s, app: app} }

func (sh *SharedStorage) query(q url.Values) (string, error) {
	if err := permissions.ValidateAppID(sh.app); err != nil {
		return "", sdkErr(CodeInvalidArgument, "shared storage: "+err.Error(), nil)
	}
	if sh.app == sh.s.app {
		return "", sdkErr(CodeInvalidArgument, "shared storage of "+sh.app+": that is this app's own namespace, use Storage", nil)
	}
	q.Set(wire.QueryApp, sh.app)
	return "?" + q.Encode(), nil
}

// checkNamespace refuses an answer that does not say it came from sh.app's namespace.
func (sh *SharedStorage) checkNamespace(res *http.Response) error {
	if got := res.Header.Get(wire.HeaderNamespace); got != sh.app {
		return &Error{Code: CodeNamespace, Status: res.StatusCode,
			Message: "the instance answered from namespace " + strconv.Quote(got) + ", not app " + sh.app + "'s: it does not support shared reads (update selfinstance)"}
	}
	return nil
}

// Get returns the latest value under key in the app's namespace and its version
// (needs storage:read-shared:<app>/<key or a prefix of it>).
func (sh *SharedStorage) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	return sh.GetVersion(ctx, key, 0)
}

// GetVersion returns one version of key (0 = latest).
func (sh *SharedStorage) GetVersion(ctx context.Context, key string, version uint64) ([]byte, uint64, error) {
	q := url.Values{}
	if version > 0 {
		q.Set("version", strconv.FormatUint(version, 10))
	}
	qs, err := sh.query(q)
	if err != nil {
		return nil, 0, err
	}
	res, err := sh.s.send(ctx, http.MethodGet, wire.PathStorage+key+qs, nil)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	if err := sh.checkNamespace(res); err != nil {
		return nil, 0, err
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, 0, transportErr(err)
	}
	v, _ := strconv.ParseUint(res.Header.Get(wire.HeaderVersion), 10, 64)
	return b, v, nil
}

// List returns up to limit of the app's keys under prefix after cursor; the
// answer's NextCursor continues. A page may hold fewer than limit items.
func (sh *SharedStorage) List(ctx context.Context, prefix, cursor string, limit int) (wire.ListResponse, error) {
	var out wire.ListResponse
	qs, err := sh.query(listQuery(prefix, cursor, limit))
	if err != nil {
		return out, err
	}
	res, err := sh.s.send(ctx, http.MethodGet, wire.PathStorage+qs, nil)
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	if err := sh.checkNamespace(res); err != nil {
		return out, err
	}
	return out, decodeJSON(res.Body, &out)
}
