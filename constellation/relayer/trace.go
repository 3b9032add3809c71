package relayer

import (
	"os"
	"sync/atomic"
	"time"
)

// traceOn (CONSTELLATION_RELAY_TRACE=1) logs the stages of the relayer's first
// passes with their durations: where the time before the first batch goes.
var traceOn = os.Getenv("CONSTELLATION_RELAY_TRACE") != ""

// traceLeft bounds the trace lines: the start-up is what they are for.
var traceLeft atomic.Int64

func init() { traceLeft.Store(400) }

// tracer times one pass: each mark logs the stage and the time since the last.
type tracer struct {
	logf func(string, ...any)
	what string
	last time.Time
}

func (r *Relayer) trace(what string) *tracer { return newTracer(r.logf, what) }

func newTracer(logf func(string, ...any), what string) *tracer {
	if !traceOn || logf == nil || traceLeft.Load() <= 0 {
		return nil
	}
	return &tracer{logf: logf, what: what, last: time.Now()}
}

func (t *tracer) mark(stage string, args ...any) {
	if t == nil || traceLeft.Add(-1) < 0 {
		return
	}
	now := time.Now()
	t.logf("trace %s: %s %v (+%s)", t.what, stage, args, now.Sub(t.last).Round(time.Millisecond))
	t.last = now
}
