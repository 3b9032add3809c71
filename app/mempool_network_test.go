package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
)

// Four validators on loopback with the app mempool (config.toml [mempool] type =
// "app") under load spread over their RPC endpoints; one validator is killed
// during the load and restarted. Every tx is committed exactly once with code 0
// (gossip through CometBFT's app reactor, proposals from each proposer's own
// pool, re-checks after each block), and every node has the same app hashes.
func TestAppMempoolNetworkKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four nodes")
	}
	const (
		senders   = 24
		perSender = 18
		down      = 3 // the validator killed
	)
	accs := make([]*testutil.Account, 0, senders+1)
	for i := 0; i < senders; i++ {
		accs = append(accs, testutil.NewAccount(i))
	}
	rcpt := testutil.NewAccount(500)
	accs = append(accs, rcpt)
	vals := make([]network.ValidatorConfig, 4)
	for i := range vals {
		vals[i].ModifyCometConfig = func(c *cmtcfg.Config) {
			c.Mempool.Type = cmtcfg.MempoolTypeApp
			c.Mempool.ReapInterval = 100 * time.Millisecond
		}
	}
	start := time.Now()
	net := network.New(t, network.Config{Validators: vals, Accounts: accs})
	require.NoError(t, net.WaitForHeight(2, 60*time.Second))
	phase := func(name string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), name) }
	phase("network up")

	signed := make([][][]byte, senders)
	for s := 0; s < senders; s++ {
		for j := 0; j < perSender; j++ {
			signed[s] = append(signed[s], testutil.Send(accs[s], rcpt.Addr, 1, testutil.TxOpts{OmitPubKey: j > 0}))
		}
	}
	// submit sends txs [from, to) of every sender, each sender to one node
	// (rotating over nodes), in sequence order.
	submit := func(from, to int, nodes []int) {
		var wg sync.WaitGroup
		errs := make(chan error, senders)
		for s := 0; s < senders; s++ {
			wg.Add(1)
			go func(s int) {
				defer wg.Done()
				node := nodes[s%len(nodes)]
				for j := from; j < to; j++ {
					res, err := net.BroadcastTx(node, signed[s][j], false)
					if err == nil && res.Code != 0 {
						err = fmt.Errorf("sender %d tx %d at node %d: code %d: %s", s, j, node, res.Code, res.Log)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}(s)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	committedCount := func(node int) uint64 {
		return balanceOf(t, net.Nodes[node].Client, rcpt.Addr) - network.DefaultAccountBalance
	}
	waitCommitted := func(node int, want uint64) {
		deadline := time.Now().Add(30 * time.Second)
		for committedCount(node) < want {
			require.True(t, time.Now().Before(deadline), "node %d committed %d of %d txs; log:\n%s", node, committedCount(node), want, net.LogTail(node, 20))
			time.Sleep(200 * time.Millisecond)
		}
	}
	all := []int{0, 1, 2, 3}
	up := []int{0, 1, 2}

	submit(0, 4, all)
	waitCommitted(0, senders*4)
	phase("phase 1 committed")
	// Load on the three others while the fourth is killed and restarted.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		submit(4, 14, up)
	}()
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, net.Kill(down))
	time.Sleep(time.Second)
	require.NoError(t, net.Start(down))
	wg.Wait()
	waitCommitted(0, senders*14)
	phase("phase 2 (kill, restart) committed")
	h, err := net.Height(0)
	require.NoError(t, err)
	// One block past: a syncing node's status reports a block as soon as it is
	// stored, a moment before the app has executed it.
	require.NoError(t, net.WaitForNodeHeight(down, h+1, 30*time.Second), net.LogTail(down, 20))
	phase("restarted node caught up")
	// The restarted node takes txs again and gossips them.
	submit(14, perSender, all)
	waitCommitted(0, senders*perSender)
	end, err := net.WaitForNextBlocks(2, 30*time.Second)
	require.NoError(t, err)
	phase("phase 3 committed")

	// Exactly once, each with code 0; equal app hashes on every node.
	want := map[[32]byte]bool{}
	for _, txs := range signed {
		for _, bz := range txs {
			want[sha256.Sum256(bz)] = true
		}
	}
	seen := map[[32]byte]int{}
	ctx := context.Background()
	for height := int64(1); height <= end; height++ {
		b, err := net.Nodes[0].RPC.Block(ctx, &height)
		require.NoError(t, err)
		res, err := net.Nodes[0].RPC.BlockResults(ctx, &height)
		require.NoError(t, err)
		for i, bz := range b.Block.Txs {
			k := sha256.Sum256(bz)
			if !want[k] {
				continue
			}
			seen[k]++
			require.Zero(t, res.TxsResults[i].Code, "height %d tx %d: %s", height, i, res.TxsResults[i].Log)
		}
	}
	require.Len(t, seen, len(want))
	for _, n := range seen {
		require.Equal(t, 1, n)
	}
	for height := end - 5; height < end; height++ {
		ref, err := net.AppHash(0, height)
		require.NoError(t, err)
		for i := 1; i < 4; i++ {
			got, err := net.AppHash(i, height)
			require.NoError(t, err)
			require.True(t, bytes.Equal(ref, got), "node %d app hash at %d", i, height)
		}
	}
	t.Logf("%d txs over 4 app-mempool validators, one killed and restarted, in %s", len(want), time.Since(start).Round(time.Second))
}
