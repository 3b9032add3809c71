package relayer

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/bridge"
)

func TestCheckMetricsAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:9465", "localhost:0", "[::1]:9465", "127.0.0.2:1"} {
		require.NoError(t, CheckMetricsAddr(ok), ok)
	}
	for _, bad := range []string{"0.0.0.0:9465", ":9465", "10.1.2.3:9465", "example.com:80", "127.0.0.1"} {
		require.Error(t, CheckMetricsAddr(bad), bad)
	}
}

// TestMetricsServe: the counters count what logBatch reports, and a side whose node
// does not answer shows as down instead of failing the scrape.
func TestMetricsServe(t *testing.T) {
	dead := "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t)) // nothing listens there
	side := func(name string) *chain {
		s := goodSide()
		s.Name, s.RPC = name, "http://"+dead
		cl, err := client.New(s.RPC)
		require.NoError(t, err)
		return &chain{Side: s, cl: cl, heads: newHeads()}
	}
	r := &Relayer{a: side("devnet"), b: side("acme"), logf: t.Logf, metrics: newRelayerMetrics()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := r.serveMetrics(ctx, "0.0.0.0:0")
	require.Error(t, err, "not loopback")
	at, err := r.serveMetrics(ctx, "127.0.0.1:0")
	require.NoError(t, err)

	ps := []bridge.Packet{{Sequence: 1}, {Sequence: 2}, {Sequence: 3}}
	r.logBatch(r.a, r.b, "recv", ps, &client.TxResult{TxHash: "AB", Height: 5}, target{}, false)
	r.logBatch(r.a, r.b, "ack", ps[:2], &client.TxResult{TxHash: "CD", Height: 6}, target{}, false)

	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get("http://" + at.String() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	text := string(body)
	require.Contains(t, text, `constellation_relayer_packets_relayed_total{chain="acme",kind="recv"} 3`)
	require.Contains(t, text, `constellation_relayer_packets_relayed_total{chain="devnet",kind="ack"} 2`)
	require.Contains(t, text, `constellation_relayer_side_up{chain="acme",chain_id="acme-1",client_id="client-0"} 0`)
	require.Contains(t, text, `constellation_relayer_block_events_live{chain="devnet",chain_id="acme-1",client_id="client-0"} 0`)
}
