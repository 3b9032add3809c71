package constellation

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Collect gathers every node's state and gives the chain a verdict.
func (c *Chain) Collect(ctx context.Context) *ChainStatus {
	st := &ChainStatus{Chain: c.Spec.Name, ChainID: c.Spec.ChainID, CheckedAt: time.Now().UTC(),
		ChainMetrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", c.Layout.Chain)}
	if pid, ok := c.SupervisorPID(); ok {
		st.Supervisor = pid
	}
	st.Nodes = make([]NodeStatus, len(c.Layout.Nodes))
	var wg sync.WaitGroup
	for i := range c.Layout.Nodes {
		wg.Go(func() { st.Nodes[i] = c.collectNode(ctx, i) })
	}
	wg.Wait()

	now := time.Now()
	best := -1
	for i, n := range st.Nodes {
		if n.Reachable && (best < 0 || n.Height > st.Nodes[best].Height) {
			best = i
		}
	}
	if best >= 0 {
		b := st.Nodes[best]
		st.Height, st.LastBlockTime = b.Height, b.LastBlockTime
		st.BlockAge = now.Sub(b.LastBlockTime).Seconds()
		if cl, err := nodeClient(c.Layout.Nodes[best].RPC); err == nil {
			c.collectValidators(ctx, st, cl)
		}
	}
	st.Verdict, st.Reasons = judge(st, c.verdictRules(now))
	return st
}

// collectNode is node i as this machine (sampleLocal), its RPC and its
// Prometheus endpoint show it.
func (c *Chain) collectNode(ctx context.Context, i int) NodeStatus {
	ports := c.Layout.Nodes[i]
	n := NodeStatus{Name: NodeName(i), RPC: fmt.Sprintf("tcp://127.0.0.1:%d", ports.RPC),
		Metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports.Metrics), Round: -1}
	c.sampleLocal(i, &n)
	cl, err := nodeClient(ports.RPC)
	if err != nil {
		n.Error = err.Error()
		return n
	}
	rpc := cl.RPC()
	s, err := call(ctx, rpc.Status)
	if err != nil {
		n.Error = err.Error()
		return n
	}
	n.Reachable = true
	n.Height, n.LastBlockTime, n.CatchingUp = s.SyncInfo.LatestBlockHeight, s.SyncInfo.LatestBlockTime, s.SyncInfo.CatchingUp
	n.validatorAddr = s.ValidatorInfo.Address.String()
	// The rest is best effort: a node that answers /status is up.
	if ni, err := call(ctx, rpc.NetInfo); err == nil {
		n.Peers = ni.NPeers
	}
	if mp, err := call(ctx, rpc.NumUnconfirmedTxs); err == nil {
		n.Mempool = mp.Total
	}
	if ai, err := call(ctx, rpc.ABCIInfo); err == nil {
		n.AppVersion = ai.Response.Version
	}
	g := scrapeGauges(ctx, ports.Metrics, "cometbft_consensus_rounds", "selfchain_mempool_txs")
	if round, ok := g["cometbft_consensus_rounds"]; ok {
		n.Round = int64(round)
	}
	// With the app mempool (a new home's default) CometBFT holds no txs and
	// reports 0; the app's gauge counts them (and is 0 with the flood mempool).
	if pending, ok := g["selfchain_mempool_txs"]; ok && int(pending) > n.Mempool {
		n.Mempool = int(pending)
	}
	return n
}

// metricsHTTP reads nodes' Prometheus endpoints (not RPC: no client wraps them).
var metricsHTTP = &http.Client{Timeout: rpcTimeout}

// scrapeGauges reads the first sample of each named metric (labels ignored)
// from the Prometheus text endpoint on port; a metric not found is absent.
func scrapeGauges(ctx context.Context, port int, names ...string) map[string]float64 {
	found := make(map[string]float64, len(names))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil)
	if err != nil {
		return found
	}
	resp, err := metricsHTTP.Do(req)
	if err != nil {
		return found
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() && len(found) < len(names) {
		line := sc.Text()
		sp := strings.LastIndexByte(line, ' ')
		if line == "" || line[0] == '#' || sp < 0 {
			continue
		}
		series := line[:sp]
		if b := strings.IndexByte(series, '{'); b >= 0 {
			series = series[:b]
		}
		if _, done := found[series]; done || !slices.Contains(names, series) {
			continue
		}
		if v, err := strconv.ParseFloat(line[sp+1:], 64); err == nil {
			found[series] = v
		}
	}
	return found
}
