package relayer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/testutil/network"
	"github.com/selfchain/selfchain/x/bridge"
)

// TestHeadsAndHeadersOnARealNode runs one ML-DSA-65 validator (selfchaind, a real
// CometBFT node) and checks, against it: new blocks come as websocket events; when
// the node stops they stop, and when it is back the relayer's watcher follows it
// again (polling while the websocket reconnects); headers fetched through the
// validator-set cache are the bytes fetched without it.
func TestHeadsAndHeadersOnARealNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	net := network.New(t, network.Config{Validators: []network.ValidatorConfig{{KeyType: server.ConsensusKeyMlDsa65}}})
	require.NoError(t, net.WaitForHeight(2, 60*time.Second))
	node := net.Nodes[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	c := &chain{Side: Side{Name: "one", RPC: node.RPCAddress}, cl: node.Client, heads: newHeads(), hdrs: newValCache(node.RPC)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.watch(ctx, followCfg{staleAfter: time.Second, pollEvery: 50 * time.Millisecond, logf: t.Logf, name: "one"})
	}()
	// Events: each new height wakes a waiter, and they come live.
	for range 3 {
		ch := c.heads.wait()
		select {
		case <-ch:
		case <-time.After(15 * time.Second):
			t.Fatal("no new block seen")
		}
	}
	require.True(t, c.heads.Live(), "blocks should come as events")

	// Headers through the cache equal headers without it, and the second fetch
	// of the same set is served from the cache.
	h0 := c.heads.latest()
	for range 2 {
		height := h0 - 1
		cached, err := bridge.FetchHeader(ctx, c.hdrs, height, height-1)
		require.NoError(t, err)
		plain, err := bridge.FetchHeader(ctx, node.RPC, height, height-1)
		require.NoError(t, err)
		require.Equal(t, plain, cached)
	}
	c.hdrs.mu.Lock()
	require.Len(t, c.hdrs.sets, 1, "one validator set, fetched once")
	c.hdrs.mu.Unlock()
	newest, err := bridge.FetchNewestHeader(ctx, c.hdrs, 1)
	require.NoError(t, err)
	hh, err := bridge.HeaderHeight(newest)
	require.NoError(t, err)
	require.GreaterOrEqual(t, int64(hh), h0, "the newest header, with the commit the node saw")

	// The node goes away and comes back: the watcher follows it again.
	require.NoError(t, net.Stop(0))
	time.Sleep(2 * time.Second)
	require.False(t, c.heads.Live(), "no events from a stopped node")
	before := c.heads.latest()
	require.NoError(t, net.Start(0))
	require.Eventually(t, func() bool { return c.heads.latest() > before+1 }, 60*time.Second, 50*time.Millisecond, "heights after the restart")
	require.Eventually(t, c.heads.Live, 60*time.Second, 100*time.Millisecond, "events again after the websocket reconnects")
	cancel()
	<-done
}
