package permissions_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/permissions"
	"github.com/selfchain/selfchain/x/permissions/verify"
)

// FuzzCheckQuery sends arbitrary check requests through the app's query path: the
// node never panics or errors (a malformed request is a denial, not a failure), an
// "allowed" answer only ever names a strictly parsed scope the grant covers, and
// every answer verifies against the app hash with package verify.
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
		a, err := verify.Fetch(e.querier(), req, 0)
		require.NoError(t, err)
		if a.Response.Allowed {
			want, err := permissions.CheckScope(scope, resource)
			require.NoError(t, err)
			require.True(t, strings.EqualFold(user, u), u)
			require.True(t, permissions.Scope{Name: "storage:read", Resource: "notes/"}.Covers(want) || want.String() == "profile:read", want.String())
		}
		d, _, err := verify.Verify(hash, a)
		require.NoError(t, err)
		require.Equal(t, a.Response.Decision, d)
	})
}
