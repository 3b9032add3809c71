package permissions_test

import (
	"context"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/permissions"
)

// FuzzCheckQuery sends arbitrary check requests through the app's query path: the
// node never panics or errors (a malformed request is a denial, not a failure), an
// "allowed" answer only ever names a strictly parsed scope the grant covers, and
// every answer verifies against the app hash with permissions.VerifyCheck.
func FuzzCheckQuery(f *testing.F) {
	e := newEnv(f)
	e.grant(permissions.MsgGrant{Scopes: []string{"storage:read:notes/", "profile:read"}, ExpiryTime: e.ta.Time.Unix() + 3600})
	user, now := e.user.Addr.String(), e.ta.Time.Unix()
	hash := e.ta.LastCommitID().Hash
	f.Add(user, appID, "storage:read", "notes/a", now)
	f.Add(user, appID, "storage:read:notes/../x", "", now)
	f.Add(user, appID, "storage:read", "notes/%2e%2e/x", now)
	f.Add(user, appID, "profile:read", "", int64(0))
	f.Add(user, "NOTES-APP", "profile:read", "", now)
	f.Add("self1xyz", appID, "bank:send", "", int64(-1))
	f.Add(user, appID, "storage:read:", "\x00", now+7200)
	f.Fuzz(func(t *testing.T, u, app, scope, resource string, tm int64) {
		req := permissions.QueryCheckRequest{User: u, AppId: app, Scope: scope, Resource: resource, Time: tm}
		a, err := permissions.FetchCheck(context.Background(), e.ta.Query, req, 0)
		require.NoError(t, err)
		if a.Response.Allowed {
			want, err := permissions.CheckScope(scope, resource)
			require.NoError(t, err)
			require.True(t, strings.EqualFold(user, u), u)
			require.True(t, permissions.Scope{Name: "storage:read", Resource: "notes/"}.Covers(want) || want.String() == "profile:read", want.String())
		}
		d, _, err := permissions.VerifyCheck(hash, a)
		require.NoError(t, err)
		require.Equal(t, a.Response.Decision, d)
	})
}

// FuzzPageKeys sends arbitrary page keys and limits to every paginated list query
// through the app's query path (which does not recover panics): the node never
// panics, a key it did not hand out is ErrInvalidRequest, and a next_key it hands
// out is always accepted for the next page.
func FuzzPageKeys(f *testing.F) {
	e := newEnv(f)
	e.grant(permissions.MsgGrant{Scopes: []string{"profile:read"}, ExpiryTime: e.ta.Time.Unix() + 3600})
	f.Add([]byte(nil), uint32(0))
	f.Add([]byte(appID), uint32(1))
	f.Add([]byte("a"), uint32(100))
	f.Add([]byte("Notes-App"), uint32(101))
	f.Add([]byte("notes-app-"), uint32(2))
	f.Add([]byte{0xff, 0x00, 0x80}, uint32(1))
	f.Add(e.user.Addr.Bytes(), uint32(1))
	f.Add(make([]byte, 21), uint32(1<<31))
	paths := []struct {
		path string
		req  func(p *query.PageRequest) interface{ Marshal() ([]byte, error) }
	}{
		{"Apps", func(p *query.PageRequest) interface{ Marshal() ([]byte, error) } {
			return &permissions.QueryAppsRequest{Pagination: p}
		}},
		{"GrantsByUser", func(p *query.PageRequest) interface{ Marshal() ([]byte, error) } {
			return &permissions.QueryGrantsByUserRequest{User: e.user.Addr.String(), Pagination: p}
		}},
		{"GrantsByApp", func(p *query.PageRequest) interface{ Marshal() ([]byte, error) } {
			return &permissions.QueryGrantsByAppRequest{AppId: appID, Pagination: p}
		}},
	}
	f.Fuzz(func(t *testing.T, key []byte, limit uint32) {
		for _, q := range paths {
			bz, err := q.req(&query.PageRequest{Key: key, Limit: limit}).Marshal()
			require.NoError(t, err)
			res, err := e.ta.Query(context.Background(), &abci.RequestQuery{Path: "/selfchain.permissions.v1.Query/" + q.path, Data: bz})
			require.NoError(t, err, q.path)
			if res.Code != 0 {
				require.Equal(t, runtime.ErrInvalidRequest.Codespace(), res.Codespace, "%s: %s", q.path, res.Log)
				require.Equal(t, runtime.ErrInvalidRequest.Code(), res.Code, "%s: %s", q.path, res.Log)
				continue
			}
			var next []byte
			switch q.path {
			case "Apps":
				var out permissions.QueryAppsResponse
				require.NoError(t, out.Unmarshal(res.Value))
				next = out.Pagination.GetNextKey()
			default:
				var out permissions.QueryGrantsResponse
				require.NoError(t, out.Unmarshal(res.Value))
				next = out.Pagination.GetNextKey()
			}
			if len(next) > 0 {
				bz, err := q.req(&query.PageRequest{Key: next, Limit: limit}).Marshal()
				require.NoError(t, err)
				res, err := e.ta.Query(context.Background(), &abci.RequestQuery{Path: "/selfchain.permissions.v1.Query/" + q.path, Data: bz})
				require.NoError(t, err)
				require.Zero(t, res.Code, "%s: its own next_key %x refused: %s", q.path, next, res.Log)
			}
		}
	})
}
