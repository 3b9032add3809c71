package registry_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/registry"
)

// A node keeps itself alive with its own signing key (node_signer): the owner's
// account sequence does not move, so the owner's own txs never race the node's
// heartbeats. Another key naming itself node_signer, the node key of another
// node, or a node_signer with a wrong owner are refused and the liveness does not
// move; after a key rotation only the new key heartbeats.
func TestNodeSignedHeartbeat(t *testing.T) {
	ta, accs := newTestApp(t, 3, testParams())
	owner, other := accs[0], accs[1]
	txOK(t, ta.NextBlock(testutil.SignTx(owner, testutil.TxOpts{Gas: gasPerTx}, regMsgFor(owner, 1))))
	txOK(t, ta.NextBlock(testutil.SignTx(other, testutil.TxOpts{Gas: gasPerTx}, regMsgFor(other, 2))))
	id := registry.NodeID(signingKey(1))

	// The node key's account, funded by the owner (fees).
	nodeAcc := nodeAccount(t, ta, owner, 1)
	hb := func(acc *testutil.Account, m *registry.MsgHeartbeat) uint32 {
		return ta.NextBlock(testutil.SignTx(acc, testutil.TxOpts{Gas: gasPerTx}, m)).TxResults[0].Code
	}
	ownerSeq := accountOf(t, ta, owner.Addr).Sequence
	require.Zero(t, hb(nodeAcc, &registry.MsgHeartbeat{Owner: owner.Addr.String(), NodeId: id, NodeSigner: nodeAcc.Addr.String()}))
	require.Equal(t, ta.Height, nodeOf(ta, id).Liveness.LastHeartbeatHeight)
	require.Equal(t, ownerSeq, accountOf(t, ta, owner.Addr).Sequence, "the owner's sequence moved")

	last := nodeOf(ta, id).Liveness.LastHeartbeatHeight
	// Another account naming itself the node's signer.
	require.Equal(t, registry.ErrNotNodeKey.Code(), hb(other, &registry.MsgHeartbeat{Owner: owner.Addr.String(), NodeId: id, NodeSigner: other.Addr.String()}))
	// Node 2's key heartbeating node 1.
	node2 := nodeAccount(t, ta, other, 2)
	require.Equal(t, registry.ErrNotNodeKey.Code(), hb(node2, &registry.MsgHeartbeat{Owner: owner.Addr.String(), NodeId: id, NodeSigner: node2.Addr.String()}))
	// The node's key, naming the wrong owner.
	require.Equal(t, registry.ErrNotOwner.Code(), hb(nodeAcc, &registry.MsgHeartbeat{Owner: other.Addr.String(), NodeId: id, NodeSigner: nodeAcc.Addr.String()}))
	// The node's key without node_signer: it signs for the owner field, which it is not.
	bad := ta.CheckTx(testutil.SignTx(nodeAcc, testutil.TxOpts{Gas: gasPerTx}, &registry.MsgHeartbeat{Owner: owner.Addr.String(), NodeId: id}))
	require.NotZero(t, bad.Code, bad.Log)
	nodeAcc.Seq--
	require.Equal(t, last, nodeOf(ta, id).Liveness.LastHeartbeatHeight)

	// After a rotation the old key is no longer the node's.
	newKey := signingKey(3)
	rot := &registry.MsgRotateKeys{Owner: owner.Addr.String(), NodeId: id, SigningKey: &newKey,
		SigningKeyProof: proof(testutil.ChainID, owner.Addr, 3, crypto.KeyTypeEd25519)}
	txOK(t, ta.NextBlock(testutil.SignTx(owner, testutil.TxOpts{Gas: gasPerTx}, rot)))
	require.Equal(t, registry.ErrNotNodeKey.Code(), hb(nodeAcc, &registry.MsgHeartbeat{Owner: owner.Addr.String(), NodeId: id, NodeSigner: nodeAcc.Addr.String()}))
	newAcc := nodeAccount(t, ta, owner, 3)
	require.Zero(t, hb(newAcc, &registry.MsgHeartbeat{Owner: owner.Addr.String(), NodeId: id, NodeSigner: newAcc.Addr.String()}))
	require.Equal(t, ta.Height, nodeOf(ta, id).Liveness.LastHeartbeatHeight)
}

// nodeAccount is the account of test signing key i, funded by from.
func nodeAccount(t *testing.T, ta *testutil.TestApp, from *testutil.Account, i int) *testutil.Account {
	t.Helper()
	k := signingPrivOfType(i, crypto.KeyTypeEd25519)
	acc := &testutil.Account{Key: k, Addr: k.PubKey().Address()}
	txOK(t, ta.NextBlock(testutil.Send(from, acc.Addr, 100_000, testutil.TxOpts{})))
	acc.Num = accountOf(t, ta, acc.Addr).AccountNumber
	return acc
}

func accountOf(t *testing.T, ta *testutil.TestApp, addr crypto.Address) auth.GenesisAccount {
	t.Helper()
	var res auth.QueryAccountResponse
	ta.MustQuery("/selfchain.auth.v1.Query/Account", &auth.QueryAccountRequest{Address: addr.String()}, &res)
	return res.Account
}
