package permissions_test

import (
	"testing"

	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/permissions"
)

// grant → exec allowed → revoke → exec denied, the last three in ONE block: a
// revoke is effective for the very next tx of the same block.
func TestGrantExecRevokeDeniedInSameBlock(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, "9000000", e.balance(e.owner), "the deposit went to the module account")
	e.grant(permissions.MsgGrant{Scopes: []string{"bank:send"}, SpendLimit: coins(1000)})

	res := e.block(
		e.exec(e.owner, e.user, send(e.user, e.rcpt, 100)),
		e.tx(e.user, &permissions.MsgRevokeAll{User: e.user.Addr.String(), AppId: appID}),
		e.exec(e.owner, e.user, send(e.user, e.rcpt, 100)),
	)
	require.Zero(t, res[0].Code, res[0].Log)
	require.Zero(t, res[1].Code, res[1].Log)
	requireCode(t, res[2], permissions.ErrGrantNotFound)
	require.Equal(t, "10000100", e.balance(e.rcpt), "only the first send happened")
	require.Equal(t, "9999900", e.balance(e.user))
	_, found := e.queryGrant(e.user)
	require.False(t, found)
}

// Revoking one scope (Revoke) leaves the others; the kill switch stops everything at
// once and switching it off restores the grants that are still live.
func TestRevokeScopeAndKillSwitch(t *testing.T) {
	e := newEnv(t)
	e.grant(permissions.MsgGrant{Scopes: []string{"bank:send", "profile:read"}, SpendLimit: coins(1000)})
	e.ok(e.tx(e.user, &permissions.MsgRevoke{User: e.user.Addr.String(), AppId: appID, Scopes: []string{"bank:send"}}))
	g, found := e.queryGrant(e.user)
	require.True(t, found)
	require.Equal(t, []string{"profile:read"}, g.Scopes)
	require.Empty(t, g.SpendLimit, "the spend limit went with bank:send")
	s := e.snap()
	e.fails(e.exec(e.owner, e.user, send(e.user, e.rcpt, 1)), permissions.ErrScopeNotGranted)
	e.unchanged(s)

	e.grant(permissions.MsgGrant{Scopes: []string{"bank:send"}, SpendLimit: coins(1000)})
	res := e.block(
		e.tx(e.user, &permissions.MsgSetKillSwitch{User: e.user.Addr.String(), Enabled: true}),
		e.exec(e.owner, e.user, send(e.user, e.rcpt, 1)),
	)
	require.Zero(t, res[0].Code, res[0].Log)
	requireCode(t, res[1], permissions.ErrKillSwitch)
	require.Equal(t, permissions.DECISION_KILL_SWITCH,
		e.check(&permissions.QueryCheckRequest{User: e.user.Addr.String(), AppId: appID, Scope: "bank:send"}).Decision)
	// No new grant while the switch is on.
	s = e.snap()
	e.fails(e.tx(e.user, &permissions.MsgGrant{User: e.user.Addr.String(), AppId: appID, Scopes: []string{"profile:read"}, ExpiryHeight: 1000}), permissions.ErrKillSwitch)
	e.unchanged(s)

	e.ok(e.tx(e.user, &permissions.MsgSetKillSwitch{User: e.user.Addr.String(), Enabled: false}))
	e.ok(e.exec(e.owner, e.user, send(e.user, e.rcpt, 1)))
}

// The whole MsgExec is one unit: when a later inner message fails, the earlier
// one's send and the usage and spend counters are all rolled back.
func TestExecIsAtomic(t *testing.T) {
	e := newEnv(t)
	e.grant(permissions.MsgGrant{Scopes: []string{"bank:send"}, SpendLimit: coins(50_000_000), MaxUses: 10})
	s := e.snap()
	// The second send asks for more than the user holds: bank refuses it.
	res := e.fails(e.exec(e.owner, e.user, send(e.user, e.rcpt, 100), send(e.user, e.rcpt, 20_000_000)), runtime.ErrInsufficientFunds)
	require.Contains(t, res.Log, "msgs[1]")
	e.unchanged(s)
	g, _ := e.queryGrant(e.user)
	require.Zero(t, g.Uses)
	require.Empty(t, g.Spent)

	e.ok(e.exec(e.owner, e.user, send(e.user, e.rcpt, 100), send(e.user, e.rcpt, 200)))
	g, _ = e.queryGrant(e.user)
	require.Equal(t, uint64(2), g.Uses)
	require.Equal(t, "300uself", g.Spent.String())
	require.Equal(t, "10000300", e.balance(e.rcpt))
}

// Every escalation attempt is refused with its own error code and changes neither
// the permissions records nor any balance.
func TestEscalationsDenied(t *testing.T) {
	cases := []struct {
		name  string
		setup func(e *env)
		tx    func(e *env) []byte
		want  *runtime.Error
	}{
		{"scope the app never declared", nil, func(e *env) []byte {
			return e.tx(e.user, &permissions.MsgGrant{User: e.user.Addr.String(), AppId: appID, Scopes: []string{"ai:chat"}, ExpiryHeight: 1000})
		}, permissions.ErrScopeNotDeclared},
		{"resource outside the declared prefix", nil, func(e *env) []byte {
			return e.tx(e.user, &permissions.MsgGrant{User: e.user.Addr.String(), AppId: appID, Scopes: []string{"storage:write:photos/"}, ExpiryHeight: 1000})
		}, permissions.ErrScopeNotDeclared},
		{"inner message outside the granted scope", grantProfile, func(e *env) []byte {
			return e.exec(e.owner, e.user, send(e.user, e.rcpt, 1))
		}, permissions.ErrScopeNotGranted},
		{"inner message type no scope grants", grantSend, func(e *env) []byte {
			return e.exec(e.owner, e.user, &permissions.MsgGrant{User: e.user.Addr.String(), AppId: appID, Scopes: []string{"profile:read"}, ExpiryHeight: 1000})
		}, permissions.ErrMsgNotDelegable},
		{"send above the spend limit", grantSend, func(e *env) []byte {
			return e.exec(e.owner, e.user, send(e.user, e.rcpt, 1001))
		}, permissions.ErrSpendLimit},
		{"sends adding up above the spend limit", grantSend, func(e *env) []byte {
			return e.exec(e.owner, e.user, send(e.user, e.rcpt, 600), send(e.user, e.rcpt, 401))
		}, permissions.ErrSpendLimit},
		{"usage limit", func(e *env) {
			e.grant(permissions.MsgGrant{Scopes: []string{"bank:send"}, SpendLimit: coins(1000), MaxUses: 1})
			e.ok(e.exec(e.owner, e.user, send(e.user, e.rcpt, 1)))
		}, func(e *env) []byte { return e.exec(e.owner, e.user, send(e.user, e.rcpt, 1)) }, permissions.ErrUsesExhausted},
		{"another user's funds through this user's grant", grantSend, func(e *env) []byte {
			return e.exec(e.owner, e.user, send(e.other, e.rcpt, 1))
		}, permissions.ErrInnerSigner},
		{"a user who granted nothing", grantSend, func(e *env) []byte {
			return e.exec(e.owner, e.other, send(e.other, e.rcpt, 1))
		}, permissions.ErrGrantNotFound},
		{"an account that is not the app's", grantSend, func(e *env) []byte {
			return e.exec(e.other, e.user, send(e.user, e.rcpt, 1))
		}, permissions.ErrNotGrantee},
		{"suspended app", func(e *env) {
			grantSend(e)
			e.ok(e.tx(e.authority, &permissions.MsgSuspendApp{Sender: e.authority.Addr.String(), Id: appID, Suspend: true, Reason: "abuse"}))
		}, func(e *env) []byte { return e.exec(e.owner, e.user, send(e.user, e.rcpt, 1)) }, permissions.ErrAppSuspended},
		{"owner lifting the authority's suspension", func(e *env) {
			e.ok(e.tx(e.authority, &permissions.MsgSuspendApp{Sender: e.authority.Addr.String(), Id: appID, Suspend: true, Reason: "abuse"}))
		}, func(e *env) []byte {
			return e.tx(e.owner, &permissions.MsgSuspendApp{Sender: e.owner.Addr.String(), Id: appID, Suspend: false})
		}, permissions.ErrNotAuthorized},
		{"grant to a suspended app", func(e *env) {
			e.ok(e.tx(e.owner, &permissions.MsgSuspendApp{Sender: e.owner.Addr.String(), Id: appID, Suspend: true}))
		}, func(e *env) []byte {
			return e.tx(e.user, &permissions.MsgGrant{User: e.user.Addr.String(), AppId: appID, Scopes: []string{"profile:read"}, ExpiryHeight: 1000})
		}, permissions.ErrAppSuspended},
		{"a grant signed by someone other than the user", nil, func(e *env) []byte {
			return e.tx(e.owner, &permissions.MsgGrant{User: e.user.Addr.String(), AppId: appID, Scopes: []string{"profile:read"}, ExpiryHeight: 1000})
		}, runtime.ErrUnauthorized},
		{"a revoke signed by someone other than the user", grantSend, func(e *env) []byte {
			return e.tx(e.owner, &permissions.MsgRevokeAll{User: e.user.Addr.String(), AppId: appID})
		}, runtime.ErrUnauthorized},
		{"nested MsgExec", grantSend, func(e *env) []byte {
			inner := &permissions.MsgExec{Grantee: e.user.Addr.String(), User: e.user.Addr.String(), AppId: appID,
				Msgs: []*gogotypes.Any{anyOf(e.t, send(e.user, e.rcpt, 1))}}
			return e.exec(e.owner, e.user, inner)
		}, permissions.ErrNestedExec},
		{"update of someone else's app", nil, func(e *env) []byte {
			return e.tx(e.other, &permissions.MsgUpdateApp{Owner: e.other.Addr.String(), Id: appID, Name: "Mine", Scopes: []string{"ai:chat"}})
		}, permissions.ErrNotAppOwner},
		{"key rotation of someone else's app", nil, func(e *env) []byte {
			pub := e.other.Key.PubKey()
			return e.tx(e.other, &permissions.MsgRotateAppKey{Owner: e.other.Addr.String(), Id: appID, PubKeys: pubKeys(pub.Type(), pub.Bytes())})
		}, permissions.ErrNotAppOwner},
		{"registering a taken app id", nil, func(e *env) []byte {
			pub := e.other.Key.PubKey()
			return e.tx(e.other, &permissions.MsgRegisterApp{Owner: e.other.Addr.String(), Id: appID, Name: "Evil",
				PubKeys: pubKeys(pub.Type(), pub.Bytes()), Scopes: []string{"ai:chat"}, Deposit: coins(permissions.DefaultMinDeposit)})
		}, permissions.ErrAppExists},
		{"registering below the deposit", nil, func(e *env) []byte {
			pub := e.other.Key.PubKey()
			return e.tx(e.other, &permissions.MsgRegisterApp{Owner: e.other.Addr.String(), Id: "cheap-app", Name: "Cheap",
				PubKeys: pubKeys(pub.Type(), pub.Bytes()), Scopes: []string{"ai:chat"}, Deposit: coins(1)})
		}, permissions.ErrDepositTooLow},
		{"too many inner messages", grantSend, func(e *env) []byte {
			var msgs []runtime.Msg
			for i := 0; i < permissions.DefaultMaxExecMsgs+1; i++ {
				msgs = append(msgs, send(e.user, e.rcpt, 1))
			}
			return e.exec(e.owner, e.user, msgs...)
		}, permissions.ErrTooManyInnerMsgs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if c.setup != nil {
				c.setup(e)
			}
			s := e.snap()
			e.fails(c.tx(e), c.want)
			e.unchanged(s)
		})
	}
}

func grantSend(e *env) {
	e.grant(permissions.MsgGrant{Scopes: []string{"bank:send"}, SpendLimit: coins(1000)})
}

func grantProfile(e *env) { e.grant(permissions.MsgGrant{Scopes: []string{"profile:read"}}) }

// A resource prefix that tries to escape — dot segments, percent-encoding,
// backslashes, upper case, absolute paths — is refused when granted, and a check
// for such a resource is denied as a bad scope, never allowed.
func TestResourcePrefixEscapes(t *testing.T) {
	e := newEnv(t)
	escapes := []string{
		"storage:read:notes/../", "storage:read:notes/..", "storage:read:../notes/", "storage:read:notes/./",
		"storage:read:notes/%2e%2e/", "storage:read:notes/..%2f", "storage:read:notes%2f..%2f", "storage:read:notes\\..\\",
		"storage:read:NOTES/", "storage:read:/notes/", "storage:read:notes//", "storage:read:notes/\u2025/",
		"storage:read:notes/\x00", "storage:read:", "Storage:read:notes/",
	}
	for _, sc := range escapes {
		s := e.snap()
		e.fails(e.tx(e.user, &permissions.MsgGrant{User: e.user.Addr.String(), AppId: appID, Scopes: []string{sc}, ExpiryHeight: 1000}), permissions.ErrInvalidScope)
		e.user.Seq-- // refused before the ante: the sequence was not used
		e.unchanged(s)
	}

	e.grant(permissions.MsgGrant{Scopes: []string{"storage:read:notes/"}})
	ask := func(res string) permissions.Decision {
		return e.check(&permissions.QueryCheckRequest{User: e.user.Addr.String(), AppId: appID, Scope: "storage:read", Resource: res}).Decision
	}
	require.Equal(t, permissions.DECISION_ALLOWED, ask("notes/a.txt"))
	require.Equal(t, permissions.DECISION_ALLOWED, ask("notes/sub/b"))
	require.Equal(t, permissions.DECISION_SCOPE_NOT_GRANTED, ask("notesx/a"))
	require.Equal(t, permissions.DECISION_SCOPE_NOT_GRANTED, ask("secret"))
	for _, r := range []string{"notes/../secret", "notes/%2e%2e/secret", "notes/..%2fsecret", "notes\\..\\secret", "/notes/a", "notes//a", "NOTES/a", "notes/./a"} {
		require.Equal(t, permissions.DECISION_BAD_SCOPE, ask(r), r)
	}
}

// A grant that expired (by height or by time) is refused with "grant expired" in
// the first block after expiry — pruning runs at the end of the block — and then
// pruned; compared with a twin chain that ran an empty block instead, the refused
// tx changed nothing.
func TestExpiredGrantDenied(t *testing.T) {
	for _, byTime := range []bool{false, true} {
		a, b := newEnv(t), newEnv(t)
		for _, e := range []*env{a, b} {
			m := permissions.MsgGrant{Scopes: []string{"bank:send"}, SpendLimit: coins(1000)}
			if byTime {
				m.ExpiryTime = e.ta.Time.Unix() + 3 // blocks are 1 s apart: grant at +1, exec at +2
			} else {
				m.ExpiryHeight = e.ta.Height + 2
			}
			e.grant(m)
			e.ok(e.exec(e.owner, e.user, send(e.user, e.rcpt, 1))) // still live
		}
		a.fails(a.exec(a.owner, a.user, send(a.user, a.rcpt, 1)), permissions.ErrGrantExpired)
		b.block()
		require.Equal(t, b.snap(), a.snap(), "by time: %v", byTime)
		_, found := a.queryGrant(a.user)
		require.False(t, found, "pruned at the end of the block")
	}
}

// Pruning deletes at most max_prune_per_block grants per block, oldest expiry first.
func TestPruningIsBounded(t *testing.T) {
	e := newEnvWith(t, func(p *permissions.Params) { p.MaxPrunePerBlock = 2 })
	users := []*testutil.Account{e.user, e.other, e.rcpt, e.authority}
	var txs [][]byte
	for _, u := range users {
		txs = append(txs, e.tx(u, &permissions.MsgGrant{User: u.Addr.String(), AppId: appID, Scopes: []string{"profile:read"}, ExpiryHeight: e.ta.Height + 2}))
	}
	for _, r := range e.block(txs...) {
		require.Zero(t, r.Code, r.Log)
	}
	count := func() int {
		n := 0
		for _, u := range users {
			if _, ok := e.queryGrant(u); ok {
				n++
			}
		}
		return n
	}
	require.Equal(t, 4, count())
	e.block() // expiry height: still usable
	require.Equal(t, 4, count())
	e.block()
	require.Equal(t, 2, count())
	e.block()
	require.Equal(t, 0, count())
}

// App administration: rotating keys bumps key_version; narrowing the declared scopes
// takes effect at once for existing grants; the owner's own suspension is lifted by
// the owner; queries page through apps and grants.
func TestAppAdministration(t *testing.T) {
	e := newEnv(t)
	e.grant(permissions.MsgGrant{Scopes: []string{"bank:send"}, SpendLimit: coins(1000)})
	pub := e.other.Key.PubKey()
	e.ok(e.tx(e.owner, &permissions.MsgRotateAppKey{Owner: e.owner.Addr.String(), Id: appID, PubKeys: pubKeys(pub.Type(), pub.Bytes())}))
	var app permissions.QueryAppResponse
	e.ta.MustQuery("/selfchain.permissions.v1.Query/App", &permissions.QueryAppRequest{Id: appID}, &app)
	require.Equal(t, uint64(2), app.App.KeyVersion)
	require.Equal(t, pub.Bytes(), app.App.PubKeys[0].Key)

	e.ok(e.tx(e.owner, &permissions.MsgUpdateApp{Owner: e.owner.Addr.String(), Id: appID, Name: "Notes 2", Scopes: []string{"profile:read"}}))
	s := e.snap()
	e.fails(e.exec(e.owner, e.user, send(e.user, e.rcpt, 1)), permissions.ErrScopeNotDeclared)
	e.unchanged(s)
	e.ok(e.tx(e.owner, &permissions.MsgUpdateApp{Owner: e.owner.Addr.String(), Id: appID, Name: "Notes", Scopes: []string{"bank:send"}}))

	e.ok(e.tx(e.owner, &permissions.MsgSuspendApp{Sender: e.owner.Addr.String(), Id: appID, Suspend: true, Reason: "maintenance"}))
	require.Equal(t, permissions.DECISION_APP_SUSPENDED,
		e.check(&permissions.QueryCheckRequest{User: e.user.Addr.String(), AppId: appID, Scope: "bank:send"}).Decision)
	e.ok(e.tx(e.owner, &permissions.MsgSuspendApp{Sender: e.owner.Addr.String(), Id: appID, Suspend: false}))
	e.ok(e.exec(e.owner, e.user, send(e.user, e.rcpt, 1)))

	// A second app and a second grant, listed one per page.
	e.ok(e.tx(e.other, &permissions.MsgRegisterApp{Owner: e.other.Addr.String(), Id: "zz-app", Name: "Z",
		PubKeys: pubKeys(pub.Type(), pub.Bytes()), Scopes: []string{"ai:chat"}, Deposit: coins(permissions.DefaultMinDeposit)}))
	var apps permissions.QueryAppsResponse
	e.ta.MustQuery("/selfchain.permissions.v1.Query/Apps", &permissions.QueryAppsRequest{Pagination: &query.PageRequest{Limit: 1}}, &apps)
	require.Len(t, apps.Apps, 1)
	require.Equal(t, appID, string(apps.Pagination.NextKey))
	var page2 permissions.QueryAppsResponse
	e.ta.MustQuery("/selfchain.permissions.v1.Query/Apps", &permissions.QueryAppsRequest{Pagination: &query.PageRequest{Key: apps.Pagination.NextKey, Limit: 1}}, &page2)
	require.Len(t, page2.Apps, 1)
	require.Equal(t, "zz-app", page2.Apps[0].Id)
	require.Empty(t, page2.Pagination.NextKey)

	e.ok(e.tx(e.other, &permissions.MsgGrant{User: e.other.Addr.String(), AppId: appID, Scopes: []string{"bank:send"}, ExpiryHeight: 1000, SpendLimit: coins(5)}))
	grants := func(path string, req interface {
		Marshal() ([]byte, error)
		Unmarshal([]byte) error
	}) permissions.QueryGrantsResponse {
		var out permissions.QueryGrantsResponse // fresh: Unmarshal appends to repeated fields
		e.ta.MustQuery("/selfchain.permissions.v1.Query/"+path, req, &out)
		return out
	}
	all := grants("GrantsByApp", &permissions.QueryGrantsByAppRequest{AppId: appID})
	require.Len(t, all.Grants, 2)
	first := grants("GrantsByApp", &permissions.QueryGrantsByAppRequest{AppId: appID, Pagination: &query.PageRequest{Limit: 1}})
	require.Len(t, first.Grants, 1)
	require.NotEmpty(t, first.Pagination.NextKey)
	rest := grants("GrantsByApp", &permissions.QueryGrantsByAppRequest{AppId: appID, Pagination: &query.PageRequest{Key: first.Pagination.NextKey, Limit: 1}})
	require.Len(t, rest.Grants, 1)
	require.NotEqual(t, first.Grants[0].User, rest.Grants[0].User)
	mine := grants("GrantsByUser", &permissions.QueryGrantsByUserRequest{User: e.other.Addr.String()})
	require.Len(t, mine.Grants, 1)
	require.Zero(t, mine.Grants[0].Uses)
}

// Cross-app sharing (catalogue v2): an app that declares storage:read-shared for
// another app's prefix may be granted it; the check allows exactly that prefix of
// that app; a grant naming no app or a malformed one is refused and changes nothing.
func TestReadSharedScope(t *testing.T) {
	e := newEnv(t)
	for _, sc := range []string{"storage:read-shared", "storage:read-shared:/diary", "storage:read-shared:di/x", "storage:read-shared:diary/../x", "storage:write-shared:diary"} {
		s := e.snap()
		e.fails(e.tx(e.user, &permissions.MsgGrant{User: e.user.Addr.String(), AppId: appID, Scopes: []string{sc}, ExpiryHeight: 1000}), permissions.ErrInvalidScope)
		e.user.Seq--
		e.unchanged(s)
	}
	ask := func(res string) permissions.Decision {
		return e.check(&permissions.QueryCheckRequest{User: e.user.Addr.String(), AppId: appID, Scope: "storage:read-shared", Resource: res}).Decision
	}
	update := func(scopes ...string) {
		e.ok(e.tx(e.owner, &permissions.MsgUpdateApp{Owner: e.owner.Addr.String(), Id: appID, Name: "Notes", Homepage: "https://notes.example", Scopes: scopes}))
	}
	update("storage:read", "storage:write:notes/", "storage:read-shared:diary")
	e.grant(permissions.MsgGrant{Scopes: []string{"storage:read-shared:diary/shared/"}})
	require.Equal(t, permissions.DECISION_ALLOWED, ask("diary/shared/a"))
	require.Equal(t, permissions.DECISION_SCOPE_NOT_GRANTED, ask("diary/secrets/a"))
	require.Equal(t, permissions.DECISION_SCOPE_NOT_DECLARED, ask("diaryx/shared/a"))
	require.Equal(t, permissions.DECISION_BAD_SCOPE, ask("diary/shared/../../secrets"))
	// v1 scopes are untouched: the own-namespace grant still decides as before.
	e.grant(permissions.MsgGrant{Scopes: []string{"storage:read:notes/", "storage:read-shared:diary/shared/"}})
	require.Equal(t, permissions.DECISION_ALLOWED, e.check(&permissions.QueryCheckRequest{User: e.user.Addr.String(), AppId: appID, Scope: "storage:read", Resource: "notes/a"}).Decision)
	e.ok(e.tx(e.user, &permissions.MsgRevoke{User: e.user.Addr.String(), AppId: appID, Scopes: []string{"storage:read-shared:diary/shared/"}}))
	require.Equal(t, permissions.DECISION_SCOPE_NOT_GRANTED, ask("diary/shared/a"))
	// The app's declaration bounds the grant: narrowing it ends the sharing at once.
	e.grant(permissions.MsgGrant{Scopes: []string{"storage:read-shared:diary/shared/"}})
	update("storage:read", "storage:write:notes/")
	require.Equal(t, permissions.DECISION_SCOPE_NOT_DECLARED, ask("diary/shared/a"))
}
