package app_test

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
)

// Four validators on loopback under a load spread over all their RPC endpoints,
// with each mempool type: every node computes at most one signature check per tx
// it executes, whether the tx reached it from its own clients, from a peer's
// gossip (CheckTx with the flood mempool, InsertTx with the app mempool), or only
// in another proposer's block; the flood mempool's re-check after each block hits
// the signature cache. Read from each node's Prometheus endpoint
// (selfchain_ante_sig_verifications_total against selfchain_txs_total).
func TestGossipVerifiesEachTxOncePerNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four nodes, twice")
	}
	for _, mp := range []string{cmtcfg.MempoolTypeFlood, cmtcfg.MempoolTypeApp} {
		t.Run(mp, func(t *testing.T) {
			testGossipVerifiesOnce(t, mp)
		})
	}
}

func testGossipVerifiesOnce(t *testing.T, mempoolType string) {
	const (
		nodes     = 4
		senders   = 24
		perSender = 12
	)
	start := time.Now()
	accs := make([]*testutil.Account, 0, senders+1)
	for i := 0; i < senders; i++ {
		accs = append(accs, testutil.NewAccount(i))
	}
	rcpt := testutil.NewAccount(500)
	accs = append(accs, rcpt)
	vals := make([]network.ValidatorConfig, nodes)
	prom := make([]int, nodes)
	for i := range vals {
		prom[i] = testutil.FreePort(t)
		addr := fmt.Sprintf("127.0.0.1:%d", prom[i])
		vals[i].ModifyCometConfig = func(c *cmtcfg.Config) {
			c.Mempool.Type = mempoolType
			c.Mempool.ReapInterval = 100 * time.Millisecond
			c.Instrumentation.Prometheus = true
			c.Instrumentation.PrometheusListenAddr = addr
		}
	}
	net := network.New(t, network.Config{Validators: vals, Accounts: accs})
	require.NoError(t, net.WaitForHeight(2, 60*time.Second))

	before := make([]nodeCounters, nodes)
	for i := range before {
		before[i] = scrapeCounters(t, prom[i])
	}
	// Sender s's txs go, in sequence order, to node s mod 4: each node's clients
	// send a quarter of the load, and every node needs the rest from its peers.
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for j := 0; j < perSender; j++ {
				bz := testutil.Send(accs[s], rcpt.Addr, 1, testutil.TxOpts{OmitPubKey: j > 0})
				res, err := net.BroadcastTx(s%nodes, bz, false)
				if err == nil && res.Code != 0 {
					err = fmt.Errorf("sender %d tx %d at node %d: code %d: %s", s, j, s%nodes, res.Code, res.Log)
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
	const total = senders * perSender
	for i := 0; i < nodes; i++ {
		deadline := time.Now().Add(30 * time.Second)
		for balanceOf(t, net.Nodes[i].Client, rcpt.Addr)-network.DefaultAccountBalance < total {
			require.True(t, time.Now().Before(deadline), "node %d did not commit all %d txs; log:\n%s", i, total, net.LogTail(i, 20))
			time.Sleep(200 * time.Millisecond)
		}
	}

	for i := 0; i < nodes; i++ {
		d := scrapeCounters(t, prom[i]).minus(before[i])
		own := total / nodes
		t.Logf("%s node%d: %d txs executed, %d signature checks (%.3f per tx); check_tx %d accepted %d refused, insert_tx %d/%d, recheck %d/%d",
			mempoolType, i, d.executed, d.verified, float64(d.verified)/float64(max(d.executed, 1)),
			d.checks["check_tx/accepted"], d.checks["check_tx/refused"], d.checks["insert_tx/accepted"], d.checks["insert_tx/refused"],
			d.checks["recheck/accepted"], d.checks["recheck/refused"])
		// Only the test's txs ran (the genesis funded every account).
		require.Equal(t, uint64(total), d.executed, "node %d", i)
		// No allowance is needed: a tx is verified where it is first seen (RPC,
		// gossip or a block's pre-pass) and every later check of it (the ante at
		// admission, the flood re-check, the block's pre-pass and ante, a late
		// gossip copy) finds the same cache key; refusals before the signature
		// (sequence, duplicate, full) cost none.
		require.LessOrEqual(t, d.verified, d.executed, "node %d re-verified txs", i)
		// Gossip took place: the node admitted txs its own clients did not send.
		admitted := d.checks["check_tx/accepted"] + d.checks["insert_tx/accepted"]
		require.Greater(t, admitted, uint64(own), "node %d admitted none of its peers' txs: no gossip to judge", i)
		if mempoolType == cmtcfg.MempoolTypeApp {
			require.Equal(t, uint64(own), d.checks["check_tx/accepted"], "node %d: app mempool, CheckTx is RPC only", i)
		}
	}
	t.Logf("%s: %d txs over %d validators in %s", mempoolType, total, nodes, time.Since(start).Round(time.Second))
}

// nodeCounters are the counters the test reads from a node's metrics.
type nodeCounters struct {
	verified, executed uint64
	checks             map[string]uint64 // "call/result"
}

func (c nodeCounters) minus(o nodeCounters) nodeCounters {
	d := nodeCounters{verified: c.verified - o.verified, executed: c.executed - o.executed, checks: map[string]uint64{}}
	for k, v := range c.checks {
		d.checks[k] = v - o.checks[k]
	}
	return d
}

// scrapeCounters reads the node's Prometheus text exposition.
func scrapeCounters(t *testing.T, port int) nodeCounters {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	c := nodeCounters{checks: map[string]uint64{}}
	seen := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		series, val := line[:sp], line[sp+1:]
		name, labels, _ := strings.Cut(series, "{")
		switch name {
		case "selfchain_ante_sig_verifications_total", "selfchain_txs_total", "selfchain_mempool_checks_total":
		default:
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		require.NoError(t, err, line)
		n := uint64(f)
		switch name {
		case "selfchain_ante_sig_verifications_total":
			c.verified, seen = n, true
		case "selfchain_txs_total":
			c.executed += n
		case "selfchain_mempool_checks_total":
			c.checks[label(labels, "call")+"/"+label(labels, "result")] = n
		}
	}
	require.NoError(t, sc.Err())
	require.True(t, seen, "port %d serves no selfchain_ante_sig_verifications_total", port)
	return c
}

// label is the value of key in a series' `k="v",...}` labels.
func label(labels, key string) string {
	_, rest, ok := strings.Cut(labels, key+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}
