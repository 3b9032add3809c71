package app

import "github.com/prometheus/client_golang/prometheus"

// App metrics, registered once on the default registry that the node's
// Prometheus endpoint serves next to CometBFT's.
var (
	metricTxs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "selfchain", Name: "txs_total",
		Help: "Transactions executed in blocks, by result codespace and code (0 = success).",
	}, []string{"codespace", "code"})
	metricBlockExec = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "selfchain", Name: "block_execution_seconds",
		Help:    "Time FinalizeBlock takes to execute a block.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	})
	metricCommit = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "selfchain", Name: "commit_seconds",
		Help:    "Time Commit takes to persist a block's state.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	})
	metricBlockTxs = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "selfchain", Name: "block_txs",
		Help:    "Transactions per block.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 9),
	})
	metricHeight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "selfchain", Name: "height", Help: "Last committed height.",
	})
)

func init() {
	prometheus.MustRegister(metricTxs, metricBlockExec, metricCommit, metricBlockTxs, metricHeight)
}
