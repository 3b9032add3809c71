package registry_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/registry"
)

func (e *env) status(id string) registry.Status { return e.node(id).Liveness.Status }

// Over many blocks: a node without heartbeats turns stale after T blocks (still listed),
// expired after T2 (out of the model/region/tier indexes, still in the status index and
// queryable by id); a heartbeat keeps a node active and revives a stale one.
func TestLivenessTransitionsOverManyBlocks(t *testing.T) {
	p := testParams() // T=5, T2=10
	e := setup(t, p)
	e.at(1)
	quiet := e.register(alice, 1)
	beating := e.register(alice, 2)
	revived := e.register(bob, 3)

	for h := int64(2); h <= 40; h++ {
		e.at(h)
		require.NoError(t, e.deliver(&registry.MsgHeartbeat{Owner: alice.String(), NodeId: beating}))
		if h == 8 {
			require.Equal(t, registry.STATUS_STALE, e.status(revived))
			require.NoError(t, e.deliver(&registry.MsgHeartbeat{Owner: bob.String(), NodeId: revived}))
			require.Equal(t, registry.STATUS_ACTIVE, e.status(revived))
		}
		require.NoError(t, e.k.EndBlock(e.ctx))
		switch {
		case h < 1+p.StaleAfterBlocks:
			require.Equal(t, registry.STATUS_ACTIVE, e.status(quiet), "h=%d", h)
		case h < 1+p.ExpireAfterBlocks:
			require.Equal(t, registry.STATUS_STALE, e.status(quiet), "h=%d", h)
			ids, _ := e.list(&registry.QueryNodesRequest{Model: "mistral-7b", Status: registry.STATUS_STALE})
			require.Contains(t, ids, quiet, "a stale node is still listed")
		default:
			require.Equal(t, registry.STATUS_EXPIRED, e.status(quiet), "h=%d", h)
		}
		require.Equal(t, registry.STATUS_ACTIVE, e.status(beating), "h=%d", h)
		switch {
		case h < 8:
		case h < 8+p.StaleAfterBlocks:
			require.Equal(t, registry.STATUS_ACTIVE, e.status(revived), "h=%d", h)
		case h < 8+p.ExpireAfterBlocks:
			require.Equal(t, registry.STATUS_STALE, e.status(revived), "h=%d", h)
		default:
			require.Equal(t, registry.STATUS_EXPIRED, e.status(revived), "h=%d", h)
		}
		e.checkInvariants()
	}
	ids, _ := e.list(&registry.QueryNodesRequest{Model: "mistral-7b"})
	require.Equal(t, []string{beating}, ids, "expired nodes leave the attribute indexes")
	ids = e.listAll(registry.QueryNodesRequest{Status: registry.STATUS_EXPIRED})
	require.ElementsMatch(t, []string{quiet, revived}, ids)
	ids = e.listAll(registry.QueryNodesRequest{Region: "eu-west", Status: registry.STATUS_EXPIRED})
	require.ElementsMatch(t, []string{quiet, revived}, ids, "expired listing walks the status index")
	require.Equal(t, "9800", e.balance(alice), "an expired node's deposit stays in escrow")
}

// EndBlock moves at most max_transitions_per_block nodes of each kind per block; the
// backlog drains over the following blocks, oldest first.
func TestEndBlockWorkIsBounded(t *testing.T) {
	p := testParams()
	p.MaxNodesPerOwner = 100
	p.MaxTransitionsPerBlock = 4
	e := setup(t, p)
	var ids []string
	for i := 0; i < 10; i++ {
		ids = append(ids, e.register(alice, 100+i))
	}
	count := func(s registry.Status) int {
		n := 0
		for _, id := range ids {
			if e.status(id) == s {
				n++
			}
		}
		return n
	}
	e.endBlocks(2, 1+p.StaleAfterBlocks-1)
	require.Equal(t, 10, count(registry.STATUS_ACTIVE))
	e.endBlocks(1+p.StaleAfterBlocks, 1+p.StaleAfterBlocks)
	require.Equal(t, 4, count(registry.STATUS_STALE))
	e.endBlocks(2+p.StaleAfterBlocks, 2+p.StaleAfterBlocks)
	require.Equal(t, 8, count(registry.STATUS_STALE))
	e.endBlocks(3+p.StaleAfterBlocks, 3+p.StaleAfterBlocks)
	require.Equal(t, 10, count(registry.STATUS_STALE))
	e.endBlocks(4+p.StaleAfterBlocks, p.ExpireAfterBlocks)
	require.Equal(t, 10, count(registry.STATUS_STALE))
	e.endBlocks(1+p.ExpireAfterBlocks, 1+p.ExpireAfterBlocks)
	require.Equal(t, 4, count(registry.STATUS_EXPIRED))
	e.endBlocks(2+p.ExpireAfterBlocks, 3+p.ExpireAfterBlocks)
	require.Equal(t, 10, count(registry.STATUS_EXPIRED))
	e.checkInvariants()
}
