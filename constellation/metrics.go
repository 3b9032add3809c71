package constellation

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// A chain's health for Prometheus, served by its supervisor at
// 127.0.0.1:<base_port>/metrics. Each scrape collects a fresh ChainStatus and
// exposes it through a registry of its own, so the text format, escaping and
// content negotiation are client_golang's. Every series carries chain and
// chain_id; node series add node.

var (
	chainLabels = []string{"chain", "chain_id"}
	nodeLabels  = []string{"chain", "chain_id", "node"}

	chainVerdictDesc = prometheus.NewDesc("constellation_chain_verdict",
		"1 for the chain's current verdict (ok, degraded, halted), 0 for the others.", []string{"chain", "chain_id", "verdict"}, nil)
	chainMetrics = []statusMetric[*ChainStatus]{
		{chainDesc("constellation_chain_height", "Highest height any node reports."), func(st *ChainStatus) float64 { return float64(st.Height) }},
		{chainDesc("constellation_chain_block_age_seconds", "Seconds since the last block."), func(st *ChainStatus) float64 { return st.BlockAge }},
		{chainDesc("constellation_chain_validator_power", "Total voting power of the validator set."), func(st *ChainStatus) float64 { return float64(st.TotalPower) }},
		{chainDesc("constellation_chain_missing_validator_power", "Voting power absent from the last commits."), func(st *ChainStatus) float64 { return float64(st.MissingPower) }},
		{chainDesc("constellation_chain_reasons", "Number of reasons behind a verdict other than ok."), func(st *ChainStatus) float64 { return float64(len(st.Reasons)) }},
	}
	nodeMetrics = []statusMetric[NodeStatus]{
		{nodeDesc("constellation_node_up", "1 if the node process runs and answers RPC."), func(n NodeStatus) float64 { return b2f(n.Running && n.Reachable) }},
		{nodeDesc("constellation_node_height", "The node's latest height."), func(n NodeStatus) float64 { return float64(n.Height) }},
		{nodeDesc("constellation_node_peers", "Connected peers."), func(n NodeStatus) float64 { return float64(n.Peers) }},
		{nodeDesc("constellation_node_mempool_txs", "Transactions in the node's mempool."), func(n NodeStatus) float64 { return float64(n.Mempool) }},
		{nodeDesc("constellation_node_restarts", "Times the supervisor restarted the node since `up`."), func(n NodeStatus) float64 { return float64(n.Restarts) }},
		{nodeDesc("constellation_node_cpu_seconds", "CPU time of the node process."), func(n NodeStatus) float64 { return n.CPUSeconds }},
		{nodeDesc("constellation_node_memory_bytes", "Resident memory of the node process."), func(n NodeStatus) float64 { return float64(n.MemoryBytes) }},
		{nodeDesc("constellation_node_disk_bytes", "Size of the node's data folder."), func(n NodeStatus) float64 { return float64(n.DiskBytes) }},
	}
	// x/poai's view of our nodes' validators, labelled by node like the node series.
	validatorMetrics = []statusMetric[ValidatorStatus]{
		{nodeDesc("constellation_validator_reputation", "x/poai reputation of the node's validator, 0 to 1."), func(v ValidatorStatus) float64 {
			r, _ := strconv.ParseFloat(v.Reputation, 64) // FormatPPM's "0.900000"
			return r
		}},
		{nodeDesc("constellation_validator_jailed", "1 if x/poai has jailed the node's validator."), func(v ValidatorStatus) float64 { return b2f(v.Jailed) }},
		{nodeDesc("constellation_validator_power", "The node's validator's voting power at CometBFT (0 outside the active set)."), func(v ValidatorStatus) float64 { return float64(v.Power) }},
	}
)

// statusMetric is one gauge and how to read it from part of a status.
type statusMetric[T any] struct {
	desc *prometheus.Desc
	val  func(T) float64
}

func chainDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, chainLabels, nil)
}

func nodeDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, nodeLabels, nil)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// statusCollector exposes one collected status as gauges.
type statusCollector struct{ st *ChainStatus }

func (s statusCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- chainVerdictDesc
	for _, m := range chainMetrics {
		ch <- m.desc
	}
	for _, m := range nodeMetrics {
		ch <- m.desc
	}
	for _, m := range validatorMetrics {
		ch <- m.desc
	}
}

func (s statusCollector) Collect(ch chan<- prometheus.Metric) {
	st := s.st
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, append([]string{st.Chain, st.ChainID}, labels...)...)
		if err != nil { // e.g. a label that is not UTF-8: that series fails, not the scrape
			m = prometheus.NewInvalidMetric(d, err)
		}
		ch <- m
	}
	for _, v := range []string{VerdictOK, VerdictDegraded, VerdictHalted} {
		gauge(chainVerdictDesc, b2f(st.Verdict == v), v)
	}
	for _, m := range chainMetrics {
		gauge(m.desc, m.val(st))
	}
	for _, m := range nodeMetrics {
		for _, n := range st.Nodes {
			gauge(m.desc, m.val(n), n.Name)
		}
	}
	// Only validators of our nodes whose x/poai record was read (a reputation),
	// one per node: a node whose consensus key changed can appear under both
	// its old and its new address, and a series may be exposed only once.
	seen := map[string]bool{}
	for _, v := range st.Validators {
		if v.Name == "" || v.Reputation == "" || seen[v.Name] {
			continue
		}
		seen[v.Name] = true
		for _, m := range validatorMetrics {
			gauge(m.desc, m.val(v), v.Name)
		}
	}
}

// metricsHandler serves the chain's health for Prometheus, collecting it
// afresh (within timeout) on every scrape.
func (c *Chain) metricsHandler(timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		serveStatusMetrics(w, r, c.Collect(ctx))
	})
}

// serveStatusMetrics answers a scrape with st's gauges. A series that cannot
// be exposed is left out rather than failing the scrape.
func serveStatusMetrics(w http.ResponseWriter, r *http.Request, st *ChainStatus) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(statusCollector{st})
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
}
