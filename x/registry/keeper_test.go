package registry_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

// Registration stores the record with derived ids and heights, escrows the deposit and
// makes the node findable by id, owner, each key and each filter.
func TestRegisterNodeStoresRecordAndEscrowsDeposit(t *testing.T) {
	e := setup(t, testParams())
	e.at(3)
	msg := regMsg(alice, 1)
	require.NoError(t, e.deliver(msg))
	id := registry.NodeID(msg.SigningKey)
	require.True(t, registry.ValidNodeID(id))

	n := e.node(id)
	require.Equal(t, alice.String(), n.Node.Owner)
	require.Equal(t, msg.Endpoints, n.Node.Endpoints)
	require.Equal(t, int64(3), n.Node.SigningKeyHeight)
	require.Equal(t, int64(3), n.Node.EncryptionKeyHeight)
	require.Equal(t, registry.SigningKeyID(msg.SigningKey), n.Node.SigningKeyId)
	pk, err := seal.ParsePublicKey(msg.EncryptionKey)
	require.NoError(t, err)
	require.Equal(t, pk.ID(), n.Node.EncryptionKeyId)
	require.Equal(t, registry.Liveness{LastHeartbeatHeight: 3, Status: registry.STATUS_ACTIVE, Owner: alice.String()}, n.Liveness)
	require.Equal(t, "9900", e.balance(alice))
	require.Equal(t, "100", e.balance(registry.Escrow))

	q, err := e.q.Node(e.ctx, &registry.QueryNodeRequest{NodeId: id})
	require.NoError(t, err)
	require.Equal(t, 50*registry.GiB, q.QuotaBytes)
	byOwner, err := e.q.NodesByOwner(e.ctx, &registry.QueryNodesByOwnerRequest{Owner: alice.String()})
	require.NoError(t, err)
	require.Len(t, byOwner.Nodes, 1)
	for _, req := range []*registry.QueryNodeByKeyRequest{
		{KeyType: msg.SigningKey.Type, Key: msg.SigningKey.Key},
		{KeyType: registry.EncryptionKeyType, Key: msg.EncryptionKey},
	} {
		got, err := e.q.NodeByKey(e.ctx, req)
		require.NoError(t, err)
		require.Equal(t, id, got.Node.Node.Id)
	}
	ids, next := e.list(&registry.QueryNodesRequest{Model: "mistral-7b", Region: "eu-west", Tier: registry.TIER_GROWTH, Status: registry.STATUS_ACTIVE})
	require.Equal(t, []string{id}, ids)
	require.Empty(t, next)
	ids, _ = e.list(&registry.QueryNodesRequest{Region: "us-east"})
	require.Empty(t, ids)
	e.checkInvariants()
}

// Every signing scheme can be a node's signing key; ids differ per scheme.
func TestRegisterWithEveryKeyType(t *testing.T) {
	e := setup(t, testParams())
	for i, kt := range []string{crypto.KeyTypeEd25519, crypto.KeyTypeMLDSA65, crypto.KeyTypeHybrid} {
		msg := regMsg(alice, 10+i)
		msg.SigningKey = signingKeyOfType(10+i, kt)
		msg.SigningKeyProof = proof(testChain, alice, 10+i, kt)
		require.NoError(t, e.deliver(msg), kt)
	}
	e.checkInvariants()
}

// Each bad input is rejected with its own registered error and changes no state.
func TestBadInputIsRejectedWithoutStateChange(t *testing.T) {
	p := testParams()
	e := setup(t, p)
	e.at(2)
	idA := e.register(alice, 1)
	e.register(alice, 2)
	e.at(3)

	oversized := func(f func(m *registry.MsgRegisterNode)) *registry.MsgRegisterNode {
		m := regMsg(alice, 50)
		f(m)
		return m
	}
	long := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a'
		}
		return string(b)
	}
	cases := []struct {
		name string
		msg  runtime.Msg
		err  error
	}{
		{"malformed endpoint", oversized(func(m *registry.MsgRegisterNode) { m.Endpoints = []string{"node.example.com"} }), registry.ErrInvalidEndpoint},
		{"endpoint port 0", oversized(func(m *registry.MsgRegisterNode) { m.Endpoints = []string{"1.2.3.4:0"} }), registry.ErrInvalidEndpoint},
		{"endpoint bad multiaddr", oversized(func(m *registry.MsgRegisterNode) { m.Endpoints = []string{"/ip4/1.2.3/tcp/1"} }), registry.ErrInvalidEndpoint},
		{"no endpoints", oversized(func(m *registry.MsgRegisterNode) { m.Endpoints = nil }), registry.ErrInvalidEndpoint},
		{"duplicate signing key", regMsg(bob, 1), registry.ErrDuplicateKey},
		{"duplicate encryption key", oversized(func(m *registry.MsgRegisterNode) { m.EncryptionKey = encKey(1) }), registry.ErrDuplicateKey},
		{"too many endpoints", oversized(func(m *registry.MsgRegisterNode) {
			m.Endpoints = []string{"a.io:1", "b.io:1", "c.io:1", "d.io:1", "e.io:1"}
		}), registry.ErrFieldTooLarge},
		{"oversized endpoint", oversized(func(m *registry.MsgRegisterNode) { m.Endpoints = []string{long(registry.MaxEndpointLen) + ".io:1"} }), registry.ErrFieldTooLarge},
		{"oversized region", oversized(func(m *registry.MsgRegisterNode) { m.Region = long(registry.MaxRegionLen + 1) }), registry.ErrFieldTooLarge},
		{"oversized version", oversized(func(m *registry.MsgRegisterNode) { m.Version = long(registry.MaxVersionLen + 1) }), registry.ErrFieldTooLarge},
		{"oversized model", oversized(func(m *registry.MsgRegisterNode) { m.Capabilities.Models = []string{long(registry.MaxModelLen + 1)} }), registry.ErrFieldTooLarge},
		{"too many models", oversized(func(m *registry.MsgRegisterNode) {
			m.Capabilities.Models = nil
			for i := 0; i <= registry.MaxModels; i++ {
				m.Capabilities.Models = append(m.Capabilities.Models, "m"+long(i+1))
			}
		}), registry.ErrFieldTooLarge},
		{"oversized key", oversized(func(m *registry.MsgRegisterNode) { m.EncryptionKey = make([]byte, registry.MaxKeyBytes+1) }), registry.ErrFieldTooLarge},
		{"possession proof for another owner", oversized(func(m *registry.MsgRegisterNode) { m.SigningKeyProof = proof(testChain, bob, 50, "ed25519") }), registry.ErrInvalidKeyProof},
		{"possession proof for another chain", oversized(func(m *registry.MsgRegisterNode) { m.SigningKeyProof = proof("other-1", alice, 50, "ed25519") }), registry.ErrInvalidKeyProof},
		{"missing possession proof", oversized(func(m *registry.MsgRegisterNode) { m.SigningKeyProof = nil }), registry.ErrInvalidKeyProof},
		{"oversized possession proof", oversized(func(m *registry.MsgRegisterNode) { m.SigningKeyProof = make([]byte, registry.MaxKeyProofBytes+1) }), registry.ErrFieldTooLarge},
		{"rotation without possession proof", &registry.MsgRotateKeys{Owner: alice.String(), NodeId: idA, SigningKey: ptr(signingKey(61))}, registry.ErrInvalidKeyProof},
		{"unsorted models", oversized(func(m *registry.MsgRegisterNode) { m.Capabilities.Models = []string{"b", "a"} }), registry.ErrInvalidCapabilities},
		{"bad region chars", oversized(func(m *registry.MsgRegisterNode) { m.Region = "EU West" }), registry.ErrInvalidField},
		{"bad encryption key", oversized(func(m *registry.MsgRegisterNode) { m.EncryptionKey = make([]byte, seal.PublicKeySize) }), registry.ErrInvalidKey},
		{"bad signing key", oversized(func(m *registry.MsgRegisterNode) { m.SigningKey = types.PubKey{Type: "ed25519", Key: []byte{1, 2}} }), registry.ErrInvalidKey},
		{"unknown key type", oversized(func(m *registry.MsgRegisterNode) { m.SigningKey.Type = "rsa" }), registry.ErrInvalidKey},
		{"unknown tier", oversized(func(m *registry.MsgRegisterNode) { m.Tier = 9 }), registry.ErrInvalidTier},
		{"enterprise without quota", oversized(func(m *registry.MsgRegisterNode) { m.Tier = registry.TIER_ENTERPRISE }), registry.ErrInvalidTier},
		{"free with custom quota", oversized(func(m *registry.MsgRegisterNode) { m.Tier = registry.TIER_FREE; m.CustomQuotaBytes = 1 }), registry.ErrInvalidTier},
		{"foreign owner updates", &registry.MsgUpdateNode{Owner: bob.String(), NodeId: idA, Endpoints: []string{"x.io:1"}, Tier: registry.TIER_FREE, Region: "eu", Version: "1"}, registry.ErrNotOwner},
		{"foreign owner heartbeat", &registry.MsgHeartbeat{Owner: bob.String(), NodeId: idA}, registry.ErrNotOwner},
		{"foreign owner rotates", &registry.MsgRotateKeys{Owner: bob.String(), NodeId: idA, EncryptionKey: encKey(60)}, registry.ErrNotOwner},
		{"foreign owner deregisters", &registry.MsgDeregisterNode{Owner: bob.String(), NodeId: idA}, registry.ErrNotOwner},
		{"rotation to the same signing key", &registry.MsgRotateKeys{Owner: alice.String(), NodeId: idA, SigningKey: ptr(signingKey(1))}, registry.ErrSameKey},
		{"rotation to the same encryption key", &registry.MsgRotateKeys{Owner: alice.String(), NodeId: idA, EncryptionKey: encKey(1)}, registry.ErrSameKey},
		{"rotation to another node's key", &registry.MsgRotateKeys{Owner: alice.String(), NodeId: idA, EncryptionKey: encKey(2)}, registry.ErrDuplicateKey},
		{"unknown node", &registry.MsgHeartbeat{Owner: alice.String(), NodeId: "00112233445566778899aabbccddeeff00112233"}, registry.ErrNodeNotFound},
		{"malformed node id", &registry.MsgHeartbeat{Owner: alice.String(), NodeId: "XYZ"}, registry.ErrInvalidField},
		{"oversized node id", &registry.MsgHeartbeat{Owner: alice.String(), NodeId: long(100)}, registry.ErrFieldTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.copyStores()
			err := e.deliver(tc.msg)
			require.ErrorIs(t, err, tc.err)
			require.Equal(t, before, e.copyStores(), "state changed")
		})
	}

	// Too many nodes: alice runs 2 of 3, a third is fine, a fourth is not.
	e.register(alice, 3)
	before := e.copyStores()
	require.ErrorIs(t, e.deliver(regMsg(alice, 4)), registry.ErrTooManyNodes)
	require.Equal(t, before, e.copyStores())

	// A deposit the owner cannot pay.
	poor := testutil.Addr(9)
	require.ErrorIs(t, e.deliver(regMsg(poor, 5)), runtime.ErrInsufficientFunds)
	require.Equal(t, before, e.copyStores())

	// Heartbeat for an expired node.
	e.endBlocks(4, 3+p.ExpireAfterBlocks)
	require.Equal(t, registry.STATUS_EXPIRED, e.node(idA).Liveness.Status)
	before = e.copyStores()
	require.ErrorIs(t, e.deliver(&registry.MsgHeartbeat{Owner: alice.String(), NodeId: idA}), registry.ErrNodeExpired)
	require.ErrorIs(t, e.deliver(&registry.MsgUpdateNode{Owner: alice.String(), NodeId: idA, Endpoints: []string{"x.io:1"}, Tier: registry.TIER_FREE, Region: "eu", Version: "1"}), registry.ErrNodeExpired)
	require.ErrorIs(t, e.deliver(&registry.MsgRotateKeys{Owner: alice.String(), NodeId: idA, EncryptionKey: encKey(70)}), registry.ErrNodeExpired)
	require.Equal(t, before, e.copyStores())
	e.checkInvariants()
}

func ptr[T any](v T) *T { return &v }

// The old keys stay valid (and findable) until the grace height; another rotation is
// refused until then, and afterwards the twice-replaced keys are forgotten.
func TestRotateKeysKeepsOldKeysForGracePeriod(t *testing.T) {
	p := testParams()
	e := setup(t, p)
	id := e.register(alice, 1)
	e.at(5)
	newSig := signingKeyOfType(2, crypto.KeyTypeMLDSA65)
	require.NoError(t, e.deliver(&registry.MsgRotateKeys{Owner: alice.String(), NodeId: id, SigningKey: &newSig, EncryptionKey: encKey(2),
		SigningKeyProof: proof(testChain, alice, 2, crypto.KeyTypeMLDSA65)}))
	n := e.node(id).Node
	require.Equal(t, id, n.Id, "the node id survives rotation")
	require.Equal(t, newSig, n.SigningKey)
	require.Equal(t, int64(5), n.SigningKeyHeight)
	require.Equal(t, signingKey(1), *n.PrevSigningKey)
	require.Equal(t, encKey(1), n.PrevEncryptionKey)
	require.Equal(t, int64(5+p.KeyRotationGraceBlocks), n.PrevKeysValidUntil)
	for _, k := range []*registry.QueryNodeByKeyRequest{
		{KeyType: "ed25519", Key: signingKey(1).Key}, {KeyType: newSig.Type, Key: newSig.Key},
		{KeyType: registry.EncryptionKeyType, Key: encKey(1)}, {KeyType: registry.EncryptionKeyType, Key: encKey(2)},
	} {
		got, err := e.q.NodeByKey(e.ctx, k)
		require.NoError(t, err)
		require.Equal(t, id, got.Node.Node.Id)
	}
	// A new node cannot take the old key during the grace period.
	require.ErrorIs(t, e.deliver(regMsg(bob, 1)), registry.ErrDuplicateKey)
	e.at(5 + p.KeyRotationGraceBlocks - 1)
	require.ErrorIs(t, e.deliver(&registry.MsgRotateKeys{Owner: alice.String(), NodeId: id, EncryptionKey: encKey(3)}), registry.ErrRotationInProgress)
	e.at(5 + p.KeyRotationGraceBlocks)
	require.NoError(t, e.deliver(&registry.MsgRotateKeys{Owner: alice.String(), NodeId: id, EncryptionKey: encKey(3)}))
	n = e.node(id).Node
	require.Nil(t, n.PrevSigningKey, "only the rotated key kind has a previous key")
	require.Equal(t, encKey(2), n.PrevEncryptionKey)
	_, err := e.q.NodeByKey(e.ctx, &registry.QueryNodeByKeyRequest{KeyType: "ed25519", Key: signingKey(1).Key})
	require.ErrorIs(t, err, registry.ErrNodeNotFound)
	// encKey(1) is free again: another node may use it. The original signing key is not:
	// it names node id.
	m := regMsg(bob, 7)
	m.EncryptionKey = encKey(1)
	require.NoError(t, e.deliver(m))
	require.ErrorIs(t, e.deliver(regMsg(bob, 1)), registry.ErrDuplicateKey)
	e.checkInvariants()
}

// UpdateNode replaces the description and moves the node between index values.
func TestUpdateNodeMovesIndexes(t *testing.T) {
	e := setup(t, testParams())
	id := e.register(alice, 1)
	upd := &registry.MsgUpdateNode{
		Owner: alice.String(), NodeId: id, Endpoints: []string{"[2001:db8::1]:443"},
		Capabilities: registry.Capabilities{Models: []string{"qwen2"}, StorageBytes: 5},
		Tier:         registry.TIER_ENTERPRISE, CustomQuotaBytes: 7 * registry.GiB, Region: "ap-south", Version: "v2",
	}
	require.NoError(t, e.deliver(upd))
	ids, _ := e.list(&registry.QueryNodesRequest{Model: "llama-3.1-8b"})
	require.Empty(t, ids)
	ids, _ = e.list(&registry.QueryNodesRequest{Model: "qwen2", Region: "ap-south", Tier: registry.TIER_ENTERPRISE})
	require.Equal(t, []string{id}, ids)
	q, err := e.q.Node(e.ctx, &registry.QueryNodeRequest{NodeId: id})
	require.NoError(t, err)
	require.Equal(t, 7*registry.GiB, q.QuotaBytes)
	e.checkInvariants()
}

// Deregistration refunds the deposit (also for an expired node) and leaves no trace.
func TestDeregisterRefundsAndClearsEverything(t *testing.T) {
	p := testParams()
	e := setup(t, p)
	empty := e.copyStores()
	id := e.register(alice, 1)
	id2 := e.register(alice, 2)
	e.at(3)
	require.NoError(t, e.deliver(&registry.MsgRotateKeys{Owner: alice.String(), NodeId: id, EncryptionKey: encKey(3)}))
	e.endBlocks(4, 2+p.ExpireAfterBlocks)
	require.Equal(t, registry.STATUS_EXPIRED, e.node(id2).Liveness.Status)
	require.Equal(t, "9800", e.balance(alice))
	require.NoError(t, e.deliver(&registry.MsgDeregisterNode{Owner: alice.String(), NodeId: id}))
	require.NoError(t, e.deliver(&registry.MsgDeregisterNode{Owner: alice.String(), NodeId: id2}))
	require.Equal(t, "10000", e.balance(alice))
	e.checkInvariants()
	after := e.copyStores()
	require.Equal(t, empty["registry"], after["registry"], "the registry store is back to its empty state")
	require.ErrorIs(t, e.deliver(&registry.MsgHeartbeat{Owner: alice.String(), NodeId: id}), registry.ErrNodeNotFound)
}
