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
	metricMempoolEvicted = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "selfchain", Name: "mempool_evicted_total",
		Help: "App-side mempool: pending txs evicted for higher-priority ones.",
	})
	metricMempoolDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "selfchain", Name: "mempool_dropped_total",
		Help: "App-side mempool: pending txs dropped by the re-check after a block (sequence used, fee no longer payable, timed out).",
	})
	metricMempoolSize = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "selfchain", Name: "mempool_txs",
		Help: "App-side mempool: pending txs after the last block's re-check.",
	})
	metricRecheck = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "selfchain", Name: "mempool_recheck_seconds",
		Help:    "App-side mempool: time the re-check of the accounts a block touched takes, after Commit has returned.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	})
	metricRecheckWait = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "selfchain", Name: "mempool_recheck_wait_seconds_total",
		Help: "App-side mempool: time proposals and blocks waited for the last block's re-check to end.",
	})
	metricMempoolFull = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "selfchain", Name: "mempool_full_total",
		Help: "App-side mempool: submissions refused with selfchain/32045 after waiting for room.",
	})
	metricProposalCap = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "selfchain", Name: "mempool_proposal_tx_cap",
		Help: "App-side mempool: txs this node's next proposal may take (measured execution rate x app.toml mempool.block-time).",
	})
	// Where admissions wait rather than compute, and whether the proposal cap
	// binds: the questions for a node that admits less than its cores allow
	// (docs/PERFORMANCE.md, "Admission ceiling (stop 30)").
	metricAdmitWait = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "selfchain", Name: "mempool_admit_wait_seconds_total",
		Help: "App-side mempool: time admissions spent waiting, by stage (room: for a block to make room under the admission limit; slot: for an admission slot).",
	}, []string{"stage"})
	metricProposalsCapped = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "selfchain", Name: "mempool_proposals_capped_total",
		Help: "App-side mempool: proposals that stopped at the proposal tx cap with txs still pending.",
	})
	metricSigVerifications = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "selfchain", Subsystem: "ante", Name: "sig_verifications_total",
		Help: "Tx signature checks this node computed (signature-cache misses): at most one per tx it admitted or executed (docs/MEMPOOL.md).",
	})
	metricMempoolChecks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "selfchain", Name: "mempool_checks_total",
		Help: "Txs checked for the mempool, by ABCI call (check_tx: RPC, and peers' with the flood mempool; insert_tx: peers' with the app mempool; recheck: the flood mempool's after a block) and result (accepted, refused).",
	}, []string{"call", "result"})
	metricBlockTxs = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "selfchain", Name: "block_txs",
		Help:    "Transactions per block.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 9),
	})
	metricHeight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "selfchain", Name: "height", Help: "Last committed height.",
	})
	metricLLMSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "selfchain", Name: "poai_llm_seconds",
		Help:    "Latency of this node's PoAI analyzer calls to its LLM endpoint (answered or not).",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
	})
	metricLLMFallbacks = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "selfchain", Name: "poai_llm_fallbacks_total",
		Help: "PoAI LLM calls whose answer was not used (timeout, HTTP error, unparsable), the built-in scores voted instead.",
	})
	metricReportsLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "selfchain", Name: "poai_reports_lag_blocks",
		Help: "At this node's last vote: blocks between the block it had to score and the newest its analyzer had finished (0: on time).",
	})
)

func init() {
	prometheus.MustRegister(metricTxs, metricBlockExec, metricCommit, metricBlockTxs, metricHeight,
		metricLLMSeconds, metricLLMFallbacks, metricReportsLag,
		metricMempoolEvicted, metricMempoolDropped, metricMempoolSize, metricMempoolFull, metricProposalCap,
		metricRecheck, metricRecheckWait,
		metricSigVerifications, metricMempoolChecks, metricAdmitWait, metricProposalsCapped)
	waitRoom, waitSlot = metricAdmitWait.WithLabelValues("room"), metricAdmitWait.WithLabelValues("slot")
	// Every series from the start, so a scrape reads 0 rather than nothing;
	// resolved once so the per-tx count is an atomic add, not a label lookup.
	for call, name := range checkCallNames {
		for result, label := range [2]string{"accepted", "refused"} {
			checkCounters[call][result] = metricMempoolChecks.WithLabelValues(name, label)
		}
	}
}

// The stages of metricAdmitWait, resolved once (per tx an atomic add).
var waitRoom, waitSlot prometheus.Counter

// The calls metricMempoolChecks counts, by the ABCI method that checked the tx.
const (
	callCheckTx = iota
	callInsertTx
	callRecheck
)

var (
	checkCallNames = [...]string{callCheckTx: "check_tx", callInsertTx: "insert_tx", callRecheck: "recheck"}
	checkCounters  [len(checkCallNames)][2]prometheus.Counter
)

// countCheck counts one mempool check of a tx by call and outcome.
func countCheck(call int, code uint32) {
	result := 0
	if code != 0 {
		result = 1
	}
	checkCounters[call][result].Inc()
}
