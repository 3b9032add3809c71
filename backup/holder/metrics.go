package holder

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	reg          *prometheus.Registry
	bytesHeld    prometheus.Gauge
	chunksStored prometheus.Counter
	answered     prometheus.Counter
	missed       prometheus.Counter
	rejected     *prometheus.CounterVec
	proposals    *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		bytesHeld: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "selfchain", Subsystem: "backup_holder",
			Name: "bytes_held", Help: "Ciphertext bytes stored for all agreements."}),
		chunksStored: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "selfchain", Subsystem: "backup_holder",
			Name: "chunks_stored_total", Help: "Chunks accepted from owners."}),
		answered: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "selfchain", Subsystem: "backup_holder",
			Name: "challenges_answered_total", Help: "Storage challenges answered with a proof the chain accepted."}),
		missed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "selfchain", Subsystem: "backup_holder",
			Name: "challenges_missed_total", Help: "Storage challenges this holder could not answer (chunk missing or corrupt, or the proof was refused)."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "selfchain", Subsystem: "backup_holder",
			Name: "requests_rejected_total", Help: "Requests refused, by reason."}, []string{"reason"}),
		proposals: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "selfchain", Subsystem: "backup_holder",
			Name: "proposals_total", Help: "Proposals the auto-accept policy decided: accepted, declined (left for the operator), failed (accept refused)."}, []string{"decision"}),
	}
	m.reg.MustRegister(m.bytesHeld, m.chunksStored, m.answered, m.missed, m.rejected, m.proposals)
	return m
}
