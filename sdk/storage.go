package sdk

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/selfchain/selfchain/instance/wire"
)

// Storage is the app's namespace in the user's sovereign storage.
type Storage struct{ s *Session }

// Save stores value under key (a-z 0-9 . _ - / path, needs storage:write) and
// returns its new version.
func (st *Storage) Save(ctx context.Context, key string, value []byte) (uint64, error) {
	res, err := st.s.send(ctx, http.MethodPut, wire.PathStorage+key, value)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var out wire.PutResponse
	return out.Version, decodeJSON(res.Body, &out)
}

// Get returns the latest value under key and its version (needs storage:read).
func (st *Storage) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	return st.GetVersion(ctx, key, 0)
}

// GetVersion returns one version of key (0 = latest).
func (st *Storage) GetVersion(ctx context.Context, key string, version uint64) ([]byte, uint64, error) {
	p := wire.PathStorage + key
	if version > 0 {
		p += "?version=" + strconv.FormatUint(version, 10)
	}
	res, err := st.s.send(ctx, http.MethodGet, p, nil)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, 0, transportErr(err)
	}
	v, _ := strconv.ParseUint(res.Header.Get(wire.HeaderVersion), 10, 64)
	return b, v, nil
}

// List returns up to limit keys under prefix after cursor ("" = from the start);
// the answer's NextCursor continues.
func (st *Storage) List(ctx context.Context, prefix, cursor string, limit int) (wire.ListResponse, error) {
	q := listQuery(prefix, cursor, limit)
	p := wire.PathStorage
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var out wire.ListResponse
	res, err := st.s.send(ctx, http.MethodGet, p, nil)
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	return out, decodeJSON(res.Body, &out)
}

// listQuery is the query of a list request.
func listQuery(prefix, cursor string, limit int) url.Values {
	q := url.Values{}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

// Delete removes key (needs storage:delete); earlier versions stay readable by version.
func (st *Storage) Delete(ctx context.Context, key string) error {
	res, err := st.s.send(ctx, http.MethodDelete, wire.PathStorage+key, nil)
	if err != nil {
		return err
	}
	return res.Body.Close()
}
