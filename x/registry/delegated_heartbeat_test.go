package registry_test

import (
	"testing"

	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/permissions"
	"github.com/selfchain/selfchain/x/registry"
)

// An app the node owner granted `registry:heartbeat` sends the owner's heartbeats
// through x/permissions' MsgExec (the app table in app/app.go maps MsgHeartbeat to
// that scope); a grant of another scope, or none after a revoke, is refused and the
// node's liveness does not move.
func TestAppHeartbeatDelegatedThroughPermissions(t *testing.T) {
	ta, accs := newTestApp(t, 2, testParams())
	owner, app := accs[0], accs[1]
	txOK(t, ta.NextBlock(testutil.SignTx(owner, testutil.TxOpts{Gas: gasPerTx}, regMsgFor(owner, 1))))
	id := registry.NodeID(signingKey(1))

	pub := app.Key.PubKey()
	deposit := types.Coins{types.NewCoin(testutil.Denom, permissions.DefaultMinDeposit)}
	txOK(t, ta.NextBlock(testutil.SignTx(app, testutil.TxOpts{}, &permissions.MsgRegisterApp{
		Owner: app.Addr.String(), Id: "pinger", Name: "Pinger",
		PubKeys: []types.PubKey{{Type: pub.Type(), Key: pub.Bytes()}},
		Scopes:  []string{"registry:heartbeat", "profile:read"}, Deposit: deposit,
	})))
	exec := func() []byte {
		bz, err := (&registry.MsgHeartbeat{Owner: owner.Addr.String(), NodeId: id}).Marshal()
		require.NoError(t, err)
		return testutil.SignTx(app, testutil.TxOpts{}, &permissions.MsgExec{
			Grantee: app.Addr.String(), User: owner.Addr.String(), AppId: "pinger",
			Msgs: []*gogotypes.Any{{TypeUrl: "/selfchain.registry.v1.MsgHeartbeat", Value: bz}},
		})
	}
	grant := func(scope string) {
		txOK(t, ta.NextBlock(testutil.SignTx(owner, testutil.TxOpts{}, &permissions.MsgGrant{
			User: owner.Addr.String(), AppId: "pinger", Scopes: []string{scope}, ExpiryHeight: ta.Height + 100,
		})))
	}

	// A grant of another scope does not cover the heartbeat.
	grant("profile:read")
	before := nodeOf(ta, id).Liveness.LastHeartbeatHeight
	res := ta.NextBlock(exec())
	require.Equal(t, permissions.ErrScopeNotGranted.Code(), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, before, nodeOf(ta, id).Liveness.LastHeartbeatHeight)

	// With registry:heartbeat the app's MsgExec moves the owner's heartbeat height.
	grant("registry:heartbeat")
	txOK(t, ta.NextBlock(exec()))
	require.Equal(t, ta.Height, nodeOf(ta, id).Liveness.LastHeartbeatHeight)

	// Revoked: the very next exec is refused.
	txOK(t, ta.NextBlock(testutil.SignTx(owner, testutil.TxOpts{}, &permissions.MsgRevokeAll{User: owner.Addr.String(), AppId: "pinger"})))
	last := nodeOf(ta, id).Liveness.LastHeartbeatHeight
	res = ta.NextBlock(exec())
	require.Equal(t, permissions.ErrGrantNotFound.Code(), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, last, nodeOf(ta, id).Liveness.LastHeartbeatHeight)
}
