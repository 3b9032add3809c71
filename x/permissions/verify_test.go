package permissions_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/permissions"
)

// fetch returns a proven answer at the latest height and the app hash committing it.
func (e *env) fetch(req permissions.QueryCheckRequest) (permissions.CheckAnswer, []byte) {
	e.t.Helper()
	a, err := permissions.FetchCheck(context.Background(), e.ta.Query, req, 0)
	require.NoError(e.t, err)
	require.Equal(e.t, e.ta.LastCommitID().Version, a.Response.Height)
	return a, e.ta.LastCommitID().Hash
}

// The verify package accepts genuine proven answers — allowed (grant present),
// denied for lack of a grant (absence proven) and denied by the kill switch — and
// rejects every tampered variant.
func TestVerifyAcceptsGenuineRejectsTampered(t *testing.T) {
	e := newEnv(t)
	e.grant(permissions.MsgGrant{Scopes: []string{"storage:read:notes/"}, ExpiryTime: e.ta.Time.Unix() + 3600})
	now := e.ta.Time.Unix()
	req := permissions.QueryCheckRequest{User: e.user.Addr.String(), AppId: appID, Scope: "storage:read", Resource: "notes/a", Time: now}

	allowed, hash := e.fetch(req)
	require.True(t, allowed.Response.Allowed, allowed.Response.Reason)
	d, _, err := permissions.VerifyCheck(hash, allowed)
	require.NoError(t, err)
	require.Equal(t, permissions.DECISION_ALLOWED, d)

	// The same records answer other questions: outside the prefix, after expiry,
	// without a time — each is proven as the denial it is.
	for _, c := range []struct {
		mod  func(*permissions.QueryCheckRequest)
		want permissions.Decision
	}{
		{func(r *permissions.QueryCheckRequest) { r.Resource = "photos/a" }, permissions.DECISION_SCOPE_NOT_GRANTED},
		{func(r *permissions.QueryCheckRequest) { r.Time = now + 7200 }, permissions.DECISION_EXPIRED},
		{func(r *permissions.QueryCheckRequest) { r.Time = 0 }, permissions.DECISION_TIME_UNKNOWN},
		{func(r *permissions.QueryCheckRequest) { r.Resource = "notes/../x" }, permissions.DECISION_BAD_SCOPE},
	} {
		r := req
		c.mod(&r)
		a, h := e.fetch(r)
		d, _, err := permissions.VerifyCheck(h, a)
		require.NoError(t, err)
		require.Equal(t, c.want, d)
	}

	// No grant: the grant's absence is proven.
	noGrant := req
	noGrant.User = e.other.Addr.String()
	denied, hash2 := e.fetch(noGrant)
	require.Equal(t, permissions.DECISION_NO_GRANT, denied.Response.Decision)
	d, _, err = permissions.VerifyCheck(hash2, denied)
	require.NoError(t, err)
	require.Equal(t, permissions.DECISION_NO_GRANT, d)

	tampered := []struct {
		name string
		mod  func(a *permissions.CheckAnswer)
	}{
		{"denial turned into allowed", func(a *permissions.CheckAnswer) {
			*a = denied
			a.Response.Allowed, a.Response.Decision = true, permissions.DECISION_ALLOWED
		}},
		{"allowed turned into a denial", func(a *permissions.CheckAnswer) {
			a.Response.Allowed, a.Response.Decision = false, permissions.DECISION_NO_GRANT
		}},
		{"grant record widened", func(a *permissions.CheckAnswer) {
			var g permissions.Grant
			require.NoError(t, g.Unmarshal(a.Response.GrantValue))
			g.Scopes = []string{"storage:read"}
			a.Response.GrantValue, _ = g.Marshal()
		}},
		{"grant record dropped (claimed absent)", func(a *permissions.CheckAnswer) { a.Response.GrantValue = nil }},
		{"another user's grant key", func(a *permissions.CheckAnswer) { a.Response.GrantKey = denied.Response.GrantKey }},
		{"another user's grant with its proof", func(a *permissions.CheckAnswer) {
			*a = denied
			a.Request.User = e.user.Addr.String()
		}},
		{"kill switch hidden", func(a *permissions.CheckAnswer) { a.Response.KillSwitchValue = nil; a.KillSwitchProof = nil }},
		{"app proof swapped for the grant's", func(a *permissions.CheckAnswer) { a.AppProof = a.GrantProof }},
		{"request scope changed after the fact", func(a *permissions.CheckAnswer) { a.Request.Resource = "secret/x" }},
	}
	for _, c := range tampered {
		a := allowed
		a.Response.GrantValue = append([]byte(nil), allowed.Response.GrantValue...)
		c.mod(&a)
		_, _, err := permissions.VerifyCheck(hash, a)
		require.Error(t, err, c.name)
	}

	// A genuine answer checked against another height's app hash fails.
	e.ta.NextBlock(testutil.Send(e.rcpt, e.other.Addr, 1, testutil.TxOpts{}))
	_, _, err = permissions.VerifyCheck(e.ta.LastCommitID().Hash, allowed)
	require.Error(t, err, "stale app hash")

	// Kill switch on: proven by membership of the kill-switch record.
	e.ok(e.tx(e.user, &permissions.MsgSetKillSwitch{User: e.user.Addr.String(), Enabled: true}))
	killed, hash3 := e.fetch(req)
	d, _, err = permissions.VerifyCheck(hash3, killed)
	require.NoError(t, err)
	require.Equal(t, permissions.DECISION_KILL_SWITCH, d)
	killed.Response.KillSwitchValue = nil
	killed.Response.Allowed, killed.Response.Decision = true, permissions.DECISION_ALLOWED
	_, _, err = permissions.VerifyCheck(hash3, killed)
	require.Error(t, err, "a hidden kill switch must not verify")
}
