package relayer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The relayer's Prometheus metrics, served at <Config.MetricsAddr>/metrics when set
// (a loopback address: they name the relayer's keys and balances). Counters count
// what this process relayed; the gauges are read from both chains at each scrape,
// as `constellation relay status` reads them.

var (
	sideLabels     = []string{"chain", "chain_id", "client_id"}
	relayedDesc    = []string{"chain", "kind"}
	pendingDesc    = prometheus.NewDesc("constellation_relayer_pending_packets", "Packets this chain sent over the bridge and has not seen acknowledged or timed out.", sideLabels, nil)
	undelivDesc    = prometheus.NewDesc("constellation_relayer_undelivered_packets", "Pending packets the other chain has not received.", sideLabels, nil)
	heightDesc     = prometheus.NewDesc("constellation_relayer_client_height", "The other chain's latest height this chain's light client verified.", sideLabels, nil)
	expiryDesc     = prometheus.NewDesc("constellation_relayer_client_expires_at_seconds", "Unix time at which this chain's client of the other expires without an update.", sideLabels, nil)
	balanceDesc    = prometheus.NewDesc("constellation_relayer_balance", "The relayer key's balance of the chain's fee denom.", append(sideLabels, "denom"), nil)
	sideUpDesc     = prometheus.NewDesc("constellation_relayer_side_up", "1 if the chain's node answered the relayer's status queries.", sideLabels, nil)
	eventsLiveDesc = prometheus.NewDesc("constellation_relayer_block_events_live", "1 while the chain's new blocks come as websocket events, 0 while the relayer polls.", sideLabels, nil)
)

// relayerMetrics are the process's counters.
type relayerMetrics struct {
	relayed *prometheus.CounterVec
}

func newRelayerMetrics() *relayerMetrics {
	return &relayerMetrics{relayed: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "constellation_relayer_packets_relayed_total",
		Help: "Packet messages this relayer got into blocks, by the chain they landed on and kind (recv, ack, timeout).",
	}, relayedDesc)}
}

// CheckMetricsAddr refuses an address that is not loopback.
func CheckMetricsAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("metrics address %q: want host:port, e.g. 127.0.0.1:9465: %v", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("metrics address %q is not a loopback address: the relayer's metrics name its keys and balances; serve them on 127.0.0.1 and put a proxy in front if they must leave the machine", addr)
}

// snapshotCollector reads both sides at each scrape.
type snapshotCollector struct{ r *Relayer }

func (s snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pendingDesc, undelivDesc, heightDesc, expiryDesc, balanceDesc, sideUpDesc, eventsLiveDesc} {
		ch <- d
	}
}

func (s snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	for _, pair := range [][2]*chain{{s.r.a, s.r.b}, {s.r.b, s.r.a}} {
		c, other := pair[0], pair[1]
		st := sideStatus(ctx, c.Side, c, other, nil)
		lv := []string{c.Name, c.ChainID, c.ClientID}
		gauge := func(d *prometheus.Desc, v float64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append(lv, extra...)...)
		}
		gauge(eventsLiveDesc, b2f(c.heads.Live()))
		if st.Error != "" {
			gauge(sideUpDesc, 0)
			continue
		}
		gauge(sideUpDesc, 1)
		gauge(pendingDesc, float64(st.Pending))
		gauge(undelivDesc, float64(st.Undelivered))
		gauge(heightDesc, float64(st.ClientHeight))
		if t, err := time.Parse(time.RFC3339, st.ExpiresAt); err == nil {
			gauge(expiryDesc, float64(t.Unix()))
		}
		if amt, ok := strings.CutSuffix(st.Balance, c.Denom); ok {
			if v, err := strconv.ParseFloat(amt, 64); err == nil {
				gauge(balanceDesc, v, c.Denom)
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// serveMetrics serves /metrics on addr until ctx ends; it returns the address it
// listens on (addr may end in :0).
func (r *Relayer) serveMetrics(ctx context.Context, addr string) (net.Addr, error) {
	if err := CheckMetricsAddr(addr); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	if err := errors.Join(reg.Register(r.metrics.relayed), reg.Register(snapshotCollector{r})); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("relayer metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return l.Addr(), nil
}
