package registry_test

import (
	"context"
	"encoding/json"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/registry"
)

// appState funds accs with 1,000,000uself each and sets the registry params p.
func appState(t testing.TB, accs []*testutil.Account, p registry.Params) json.RawMessage {
	gs := registry.DefaultGenesis()
	gs.Params = p
	return appStateWith(t, accs, gs)
}

// appStateWith funds accs with 1,000,000uself each, sets the registry genesis gs and
// gives the escrow the deposits of gs's nodes.
func appStateWith(t testing.TB, accs []*testutil.Account, gs registry.GenesisState) json.RawMessage {
	t.Helper()
	state := map[string]json.RawMessage{}
	require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 1_000_000), &state))
	if len(gs.Nodes) > 0 {
		var bg bank.GenesisState
		require.NoError(t, runtime.UnmarshalGenesis(state[bank.ModuleName], &bg))
		sum := types.Int{}
		for _, n := range gs.Nodes {
			var err error
			sum, err = sum.Add(n.Node.Deposit.Amount)
			require.NoError(t, err)
		}
		bg.Balances = append(bg.Balances, bank.Balance{Address: registry.Escrow.String(), Coins: types.Coins{{Denom: testutil.Denom, Amount: sum}}})
		bz, err := runtime.MarshalGenesis(&bg)
		require.NoError(t, err)
		state[bank.ModuleName] = bz
	}
	bz, err := runtime.MarshalGenesis(&gs)
	require.NoError(t, err)
	state[registry.ModuleName] = bz
	out, err := json.Marshal(state)
	require.NoError(t, err)
	return out
}

func newTestApp(t testing.TB, n int, p registry.Params) (*testutil.TestApp, []*testutil.Account) {
	accs := make([]*testutil.Account, n)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	ta := testutil.NewTestApp(t, nil, testutil.Config(), appState(t, accs, p))
	ta.NextBlock()
	return ta, accs
}

// regMsgFor is regMsg signed for the test app's chain.
func regMsgFor(acc *testutil.Account, i int) *registry.MsgRegisterNode {
	m := regMsg(acc.Addr, i)
	m.SigningKeyProof = proof(testutil.ChainID, acc.Addr, i, crypto.KeyTypeEd25519)
	return m
}

const (
	qNode     = "/selfchain.registry.v1.Query/Node"
	qNodes    = "/selfchain.registry.v1.Query/Nodes"
	qResolve  = "/selfchain.registry.v1.Query/Resolve"
	qByOwner  = "/selfchain.registry.v1.Query/NodesByOwner"
	gasPerTx  = 400_000
	heartbeat = "heartbeat"
)

func txOK(t testing.TB, res *abci.ResponseFinalizeBlock) {
	t.Helper()
	for i, r := range res.TxResults {
		require.Zero(t, r.Code, "tx %d: %s", i, r.Log)
	}
}

func nodeOf(ta *testutil.TestApp, id string) registry.NodeEntry {
	var res registry.QueryNodeResponse
	ta.MustQuery(qNode, &registry.QueryNodeRequest{NodeId: id}, &res)
	return res.Node
}

// The whole life of a node through real blocks: register (deposit escrowed), heartbeat,
// go stale and expire in EndBlock without heartbeats, deregister (deposit refunded).
func TestAppNodeLifecycle(t *testing.T) {
	p := testParams()
	ta, accs := newTestApp(t, 2, p)
	alice := accs[0]
	before := ta.Balance(alice.Addr, testutil.Denom)

	res := ta.NextBlock(testutil.SignTx(alice, testutil.TxOpts{Gas: gasPerTx}, regMsgFor(alice, 1)))
	txOK(t, res)
	id := registry.NodeID(signingKey(1))
	require.Equal(t, ta.Height, nodeOf(ta, id).Liveness.LastHeartbeatHeight)
	require.Equal(t, "100", ta.Balance(registry.Escrow, testutil.Denom).String())
	deposited, _ := before.Sub(types.NewInt(100))
	require.Equal(t, deposited.String(), ta.Balance(alice.Addr, testutil.Denom).String())

	// Heartbeats keep it active across more than T blocks.
	for i := 0; i < 8; i++ {
		txOK(t, ta.NextBlock(testutil.SignTx(alice, testutil.TxOpts{}, &registry.MsgHeartbeat{Owner: alice.Addr.String(), NodeId: id})))
		require.Equal(t, registry.STATUS_ACTIVE, nodeOf(ta, id).Liveness.Status)
	}
	last := ta.Height
	for ta.Height < last+p.StaleAfterBlocks-1 {
		ta.NextBlock()
	}
	require.Equal(t, registry.STATUS_ACTIVE, nodeOf(ta, id).Liveness.Status)
	res = ta.NextBlock()
	require.Equal(t, registry.STATUS_STALE, nodeOf(ta, id).Liveness.Status)
	require.Equal(t, registry.EventTypeNodeStale, res.Events[len(res.Events)-1].Type)
	for ta.Height < last+p.ExpireAfterBlocks {
		ta.NextBlock()
	}
	require.Equal(t, registry.STATUS_EXPIRED, nodeOf(ta, id).Liveness.Status)

	// An expired node's heartbeat fails with the registry's code; deregistration refunds.
	res = ta.NextBlock(testutil.SignTx(alice, testutil.TxOpts{}, &registry.MsgHeartbeat{Owner: alice.Addr.String(), NodeId: id}))
	require.Equal(t, registry.ErrNodeExpired.Code(), res.TxResults[0].Code)
	require.Equal(t, registry.ModuleName, res.TxResults[0].Codespace)
	txOK(t, ta.NextBlock(testutil.SignTx(alice, testutil.TxOpts{}, &registry.MsgDeregisterNode{Owner: alice.Addr.String(), NodeId: id})))
	require.Equal(t, before.String(), ta.Balance(alice.Addr, testutil.Denom).String())
	require.Equal(t, "0", ta.Balance(registry.Escrow, testutil.Denom).String())
}

// A heartbeat's gas is small and does not depend on the size of the node's keys.
func TestAppHeartbeatGasIsSmallAndKeySizeIndependent(t *testing.T) {
	ta, accs := newTestApp(t, 1, testParams())
	a := accs[0]
	small := regMsgFor(a, 1)
	big := regMsgFor(a, 2)
	big.SigningKey = signingKeyOfType(2, crypto.KeyTypeHybrid) // ~2 KB key
	big.SigningKeyProof = proof(testutil.ChainID, a.Addr, 2, crypto.KeyTypeHybrid)
	txOK(t, ta.NextBlock(testutil.SignTx(a, testutil.TxOpts{Gas: gasPerTx}, small), testutil.SignTx(a, testutil.TxOpts{Gas: gasPerTx}, big)))
	var gas []int64
	for _, m := range []*registry.MsgRegisterNode{small, big} {
		res := ta.NextBlock(testutil.SignTx(a, testutil.TxOpts{}, &registry.MsgHeartbeat{Owner: a.Addr.String(), NodeId: registry.NodeID(m.SigningKey)}))
		txOK(t, res)
		gas = append(gas, res.TxResults[0].GasUsed)
	}
	require.Equal(t, gas[0], gas[1], "heartbeat gas must not grow with the key size")
	t.Logf("heartbeat tx gas: %d", gas[0])
}

// Rejected messages through real blocks: each carries the registry codespace and its own
// code, and the registry's state (every node record) is unchanged.
func TestAppBadInputLeavesRegistryUnchanged(t *testing.T) {
	ta, accs := newTestApp(t, 2, testParams())
	alice, bob := accs[0], accs[1]
	txOK(t, ta.NextBlock(testutil.SignTx(alice, testutil.TxOpts{Gas: gasPerTx}, regMsgFor(alice, 1))))
	id := registry.NodeID(signingKey(1))
	snapshot := func() []byte {
		var res registry.QueryNodesResponse
		ta.MustQuery(qNodes, &registry.QueryNodesRequest{}, &res)
		bz, err := res.Marshal()
		require.NoError(t, err)
		return bz
	}
	before := snapshot()
	badEndpoint := regMsgFor(bob, 2)
	badEndpoint.Endpoints = []string{"no-port"}
	for _, c := range []struct {
		signer *testutil.Account
		msg    runtime.Msg
		err    *runtime.Error
	}{
		{bob, badEndpoint, registry.ErrInvalidEndpoint},
		{bob, regMsgFor(bob, 1), registry.ErrDuplicateKey},
		{bob, &registry.MsgHeartbeat{Owner: bob.Addr.String(), NodeId: id}, registry.ErrNotOwner},
		{alice, &registry.MsgRotateKeys{Owner: alice.Addr.String(), NodeId: id, SigningKey: ptr(signingKey(1))}, registry.ErrSameKey},
	} {
		res := ta.NextBlock(testutil.SignTx(c.signer, testutil.TxOpts{Gas: gasPerTx}, c.msg))
		require.Equal(t, c.err.Code(), res.TxResults[0].Code, res.TxResults[0].Log)
		require.Equal(t, registry.ModuleName, res.TxResults[0].Codespace)
		require.Equal(t, before, snapshot())
		if c.msg.ValidateBasic() != nil {
			c.signer.Seq-- // rejected at decoding: the sequence was not used
		}
	}
}

// resolve answers with proofs that verify against the app hash committed at its height
// (header height+1 carries it); tampering with any proven byte fails verification.
func TestAppResolveProofVerifiesAgainstAppHash(t *testing.T) {
	ta, accs := newTestApp(t, 2, testParams())
	alice, bob := accs[0], accs[1]
	txOK(t, ta.NextBlock(
		testutil.SignTx(alice, testutil.TxOpts{Gas: gasPerTx}, regMsgFor(alice, 1)),
		testutil.SignTx(alice, testutil.TxOpts{Gas: gasPerTx}, regMsgFor(alice, 2)),
	))
	appHash := ta.LastCommitID().Hash

	var res registry.QueryResolveResponse
	ta.MustQuery(qResolve, &registry.QueryResolveRequest{Owner: alice.Addr.String()}, &res)
	require.Equal(t, ta.Height, res.Height)
	nodes, err := registry.VerifyResolve(appHash, alice.Addr, &res)
	require.NoError(t, err)
	require.Len(t, nodes, 2)
	require.Equal(t, res.Nodes, nodes)
	require.Equal(t, regMsgFor(alice, 1).Endpoints, nodes[0].Node.Endpoints)

	// Tampering: an endpoint byte, a dropped node, another app hash.
	bad := res
	bad.Proofs = append([]registry.ProvenValue(nil), res.Proofs...)
	v := append([]byte(nil), bad.Proofs[1].Value...)
	v[len(v)/2] ^= 1
	bad.Proofs[1].Value = v
	_, err = registry.VerifyResolve(appHash, alice.Addr, &bad)
	require.Error(t, err)
	bad.Proofs = res.Proofs[:3]
	_, err = registry.VerifyResolve(appHash, alice.Addr, &bad)
	require.Error(t, err)
	_, err = registry.VerifyResolve(make([]byte, 32), alice.Addr, &res)
	require.Error(t, err)
	_, err = registry.VerifyResolve(appHash, bob.Addr, &res)
	require.Error(t, err, "an answer for alice is not an answer for bob")

	// An owner without nodes gets a verifiable absence.
	var none registry.QueryResolveResponse
	ta.MustQuery(qResolve, &registry.QueryResolveRequest{Owner: bob.Addr.String()}, &none)
	nodes, err = registry.VerifyResolve(appHash, bob.Addr, &none)
	require.NoError(t, err)
	require.Empty(t, nodes)

	// An older height answers with that height's state and verifies with that hash.
	out, err := ta.Query(context.Background(), &abci.RequestQuery{Path: qResolve, Data: mustMarshal(t, &registry.QueryResolveRequest{Owner: alice.Addr.String()}), Height: ta.Height - 1})
	require.NoError(t, err)
	require.Zero(t, out.Code, out.Log)
	var old registry.QueryResolveResponse
	require.NoError(t, old.Unmarshal(out.Value))
	_, err = registry.VerifyResolve(appHash, alice.Addr, &old)
	require.Error(t, err, "height-1 state does not verify against the latest app hash")
}

func mustMarshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	bz, err := m.Marshal()
	require.NoError(t, err)
	return bz
}

var _ = app.BondDenom
