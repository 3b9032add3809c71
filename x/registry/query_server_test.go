package registry_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/registry"
)

var (
	testModels  = []string{"llama", "mistral", "qwen", "phi"}
	testRegions = []string{"eu", "us", "ap"}
	testTiers   = []registry.Tier{registry.TIER_FREE, registry.TIER_GROWTH, registry.TIER_PRO}
)

// populate registers n nodes with varied attributes, then lets some go stale/expire.
func populate(t *testing.T, n int) *env {
	p := testParams()
	p.MaxNodesPerOwner = registry.MaxNodesPerOwnerCap
	p.MaxTransitionsPerBlock = registry.MaxTransitionsPerBlockCap
	e := setup(t, p)
	require.NoError(t, e.bk.MintCoins(e.ctx, alice, coinsOf(100_000_000)))
	for i := 0; i < n; i++ {
		e.at(int64(1 + i%13))
		m := regMsg(testutil.Addr(byte(10+i/registry.MaxNodesPerOwnerCap)), 1000+i)
		owner := crypto.Address(testutil.Addr(byte(10 + i/registry.MaxNodesPerOwnerCap)))
		require.NoError(t, e.bk.SendCoins(e.ctx, alice, owner, coinsOf(100)))
		m.Owner = owner.String()
		m.SigningKeyProof = proof(testChain, owner, 1000+i, crypto.KeyTypeEd25519)
		m.Capabilities.Models = []string{testModels[i%4]}
		if i%3 == 0 {
			m.Capabilities.Models = []string{testModels[i%4], "zeta"}
		}
		m.Region = testRegions[i%3]
		m.Tier = testTiers[(i/3)%3]
		require.NoError(t, e.deliver(m))
	}
	e.endBlocks(14, 20) // registered at 1..13: heights <= 10 expire by 20, the rest go stale
	gs, err := e.k.ExportGenesis(e.ctx)
	require.NoError(t, err)
	for i, n := range gs.Nodes { // revive every other surviving node
		if n.Liveness.Status == registry.STATUS_STALE && i%2 == 0 {
			require.NoError(t, e.deliver(&registry.MsgHeartbeat{Owner: n.Node.Owner, NodeId: n.Node.Id}))
		}
	}
	e.checkInvariants()
	return e
}

// Every filtered listing, paged with small pages, equals a brute-force filter of all
// nodes; pages follow next_key and never repeat a node.
func TestNodesListMatchesBruteForce(t *testing.T) {
	e := populate(t, 300)
	all := map[string]registry.NodeEntry{}
	gs, err := e.k.ExportGenesis(e.ctx)
	require.NoError(t, err)
	for _, n := range gs.Nodes {
		all[n.Node.Id] = n
	}
	statuses := []registry.Status{registry.STATUS_UNSPECIFIED, registry.STATUS_ACTIVE, registry.STATUS_STALE, registry.STATUS_EXPIRED}
	checked := 0
	for _, model := range append([]string{"", "zeta", "none"}, testModels...) {
		for _, region := range append([]string{""}, testRegions...) {
			for _, tier := range append([]registry.Tier{registry.TIER_UNSPECIFIED}, testTiers...) {
				for _, st := range statuses {
					req := registry.QueryNodesRequest{Model: model, Region: region, Tier: tier, Status: st, Pagination: &query.PageRequest{Limit: 7}}
					var want []string
					for id, n := range all {
						if matches(n, req) {
							want = append(want, id)
						}
					}
					got := e.listAll(req)
					sort.Strings(want)
					gotSorted := append([]string(nil), got...)
					sort.Strings(gotSorted)
					require.Equal(t, want, gotSorted, "%+v", req)
					require.True(t, sort.StringsAreSorted(got), "one listing walks one index in id order")
					checked++
				}
			}
		}
	}
	require.Greater(t, checked, 100)
}

func matches(n registry.NodeEntry, r registry.QueryNodesRequest) bool {
	if r.Status != 0 && n.Liveness.Status != r.Status {
		return false
	}
	if r.Status != registry.STATUS_EXPIRED && n.Liveness.Status == registry.STATUS_EXPIRED && (r.Model != "" || r.Region != "" || r.Tier != 0) {
		return false // expired nodes are out of the attribute indexes
	}
	if r.Region != "" && n.Node.Region != r.Region || r.Tier != 0 && n.Node.Tier != r.Tier {
		return false
	}
	if r.Model == "" {
		return true
	}
	for _, m := range n.Node.Capabilities.Models {
		if m == r.Model {
			return true
		}
	}
	return false
}

// A sparse filter stops after the scan bound with a short page and a next_key, instead
// of scanning on; following the keys still finds every match.
func TestNodesListScanIsBounded(t *testing.T) {
	e := populate(t, 300)
	defer registry.SetMaxScanPerPageForTest(10)()
	req := registry.QueryNodesRequest{Model: "llama", Region: "us", Pagination: &query.PageRequest{Limit: 50}}
	ids, next := e.list(&req)
	require.Less(t, len(ids), 10, "at most 10 entries read, few of them match")
	require.NotEmpty(t, next)
	all := e.listAll(req)
	require.NotEmpty(t, all)
	for _, id := range all {
		n := e.node(id)
		require.Equal(t, "us", n.Node.Region)
		require.Equal(t, "llama", n.Node.Capabilities.Models[0])
	}

	_, err := e.q.Nodes(e.ctx, &registry.QueryNodesRequest{Pagination: &query.PageRequest{Limit: registry.MaxPageLimit + 1}})
	require.ErrorIs(t, err, runtime.ErrInvalidRequest)
	_, err = e.q.Nodes(e.ctx, &registry.QueryNodesRequest{Pagination: &query.PageRequest{Key: []byte("garbage")}})
	require.ErrorIs(t, err, runtime.ErrInvalidRequest)
	_, err = e.q.Nodes(e.ctx, &registry.QueryNodesRequest{Region: "Bad Region"})
	require.ErrorIs(t, err, registry.ErrInvalidField)
	_, err = e.q.Nodes(e.ctx, &registry.QueryNodesRequest{Tier: 42})
	require.ErrorIs(t, err, registry.ErrInvalidTier)
	// A next_key of a region listing does not fit a model listing.
	_, err = e.q.Nodes(e.ctx, &registry.QueryNodesRequest{Model: "x", Pagination: &query.PageRequest{Key: append([]byte("r"), []byte(fmt.Sprintf("%040x", 1))...)}})
	require.ErrorIs(t, err, runtime.ErrInvalidRequest)
}

func TestQueriesRejectBadRequests(t *testing.T) {
	e := setup(t, testParams())
	_, err := e.q.Node(e.ctx, &registry.QueryNodeRequest{NodeId: "nope"})
	require.ErrorIs(t, err, registry.ErrInvalidField)
	_, err = e.q.Node(e.ctx, &registry.QueryNodeRequest{NodeId: fmt.Sprintf("%040x", 1)})
	require.ErrorIs(t, err, registry.ErrNodeNotFound)
	_, err = e.q.NodesByOwner(e.ctx, &registry.QueryNodesByOwnerRequest{Owner: "x"})
	require.ErrorIs(t, err, runtime.ErrInvalidAddress)
	_, err = e.q.NodeByKey(e.ctx, &registry.QueryNodeByKeyRequest{KeyType: "ed25519", Key: make([]byte, registry.MaxKeyBytes+1)})
	require.ErrorIs(t, err, runtime.ErrInvalidRequest)
	_, err = e.q.Resolve(e.ctx, &registry.QueryResolveRequest{Owner: alice.String()})
	require.ErrorIs(t, err, runtime.ErrInvalidRequest, "a keeper without a prover cannot resolve")
}

// A listing carries each node's quota as `query registry node` does for one
// (issue 18: nodes and by-owner omitted it).
func TestListingsCarryQuotas(t *testing.T) {
	e := populate(t, 12)
	check := func(nodes []registry.NodeEntry, quotas []uint64) {
		t.Helper()
		require.Len(t, quotas, len(nodes))
		for i := range nodes {
			one, err := e.q.Node(e.ctx, &registry.QueryNodeRequest{NodeId: nodes[i].Node.Id})
			require.NoError(t, err)
			require.Equal(t, one.QuotaBytes, quotas[i], nodes[i].Node.Id)
		}
	}
	all, err := e.q.Nodes(e.ctx, &registry.QueryNodesRequest{})
	require.NoError(t, err)
	require.NotEmpty(t, all.Nodes)
	check(all.Nodes, all.QuotaBytes)
	filtered, err := e.q.Nodes(e.ctx, &registry.QueryNodesRequest{Model: testModels[0], Region: testRegions[0]})
	require.NoError(t, err)
	check(filtered.Nodes, filtered.QuotaBytes)
	byOwner, err := e.q.NodesByOwner(e.ctx, &registry.QueryNodesByOwnerRequest{Owner: all.Nodes[0].Node.Owner})
	require.NoError(t, err)
	require.NotEmpty(t, byOwner.Nodes)
	check(byOwner.Nodes, byOwner.QuotaBytes)
}
