package voteext

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cometbft/cometbft/libs/log"

	"github.com/selfchain/selfchain/x/poai/analyzer"
)

// Pipeline runs a node's analyzer in the background, outside the state machine:
// after Commit(H-1) the app Submits block H-1, and ExtendVote(H) Waits a bounded
// time for its report. One goroutine analyzes blocks in height order; reports of
// the last few heights are kept.
type Pipeline struct {
	an     analyzer.Analyzer
	logger log.Logger
	in     chan analyzer.Block
	stop   context.CancelFunc
	done   chan struct{}

	observe func(analyzer.Report) // called with every report (and failed run: an empty one), in the goroutine

	mu      sync.Mutex
	reports map[int64]analyzer.Report // at most keepReports, pruned by height
	latest  int64                     // highest height with a report
	changed chan struct{}             // closed and replaced when a report lands
}

// PipelineOption configures NewPipeline.
type PipelineOption func(*Pipeline)

// WithObserver has f see every report as it lands (the node's metrics).
func WithObserver(f func(analyzer.Report)) PipelineOption {
	return func(p *Pipeline) { p.observe = f }
}

const (
	keepReports = 4
	// queueBlocks bounds blocks waiting for a slow analyzer; beyond it a block is
	// skipped (its extension is then empty) rather than delaying consensus.
	queueBlocks = 4
)

// NewPipeline starts the analyzer goroutine; Close stops it.
func NewPipeline(an analyzer.Analyzer, logger log.Logger, opts ...PipelineOption) *Pipeline {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pipeline{an: an, logger: logger, in: make(chan analyzer.Block, queueBlocks), stop: cancel,
		done: make(chan struct{}), reports: map[int64]analyzer.Report{}, changed: make(chan struct{}), observe: func(analyzer.Report) {}}
	for _, o := range opts {
		o(p)
	}
	go p.run(ctx)
	return p
}

// Submit queues a committed block (never blocks the caller). Selected is filled in
// with SampleIndices.
func (p *Pipeline) Submit(b analyzer.Block) {
	b.Selected = SampleIndices(b.Hash, len(b.Txs), MaxScores)
	select {
	case p.in <- b:
	default:
		p.logger.Error("PoAI analyzer is behind; block skipped (empty vote extension)", "height", b.Height)
	}
}

func (p *Pipeline) run(ctx context.Context) {
	defer close(p.done)
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-p.in:
			b.ResolveRecipients()
			rep, err := p.analyze(ctx, b)
			if err != nil {
				p.logger.Error("PoAI analyzer failed", "height", b.Height, "err", err)
				continue
			}
			p.logReport(b, rep)
			rep.Height, rep.BlockHash = b.Height, b.Hash
			p.observe(rep)
			p.mu.Lock()
			p.reports[b.Height] = rep
			p.latest = max(p.latest, b.Height)
			for h := range p.reports { // tiny map, node-local: order does not matter
				if h <= b.Height-keepReports {
					delete(p.reports, h)
				}
			}
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
	}
}

// logReport says what the analyzer did for block b: every model call at info
// (latency, tokens, outcome), so a working LLM is visible and a failing one is
// explained; a fallback or note without a call too.
func (p *Pipeline) logReport(b analyzer.Block, rep analyzer.Report) {
	if c := rep.LLM; c != nil {
		outcome := "ok"
		if c.Err != nil {
			outcome = "fallback to built-in: " + c.Err.Error()
		}
		p.logger.Info("PoAI LLM call", "height", b.Height, "model", rep.ModelID, "latency", c.Latency.Round(time.Millisecond),
			"txs", c.Txs, "prompt_tokens", c.PromptTokens, "completion_tokens", c.CompletionTokens, "outcome", outcome, "note", rep.Note)
		return
	}
	if rep.Fallback || rep.Note != "" {
		p.logger.Info("PoAI analyzer report", "height", b.Height, "model", rep.ModelID, "fallback", rep.Fallback, "note", rep.Note)
	}
}

// Latest is the highest block height the analyzer has reported on (0: none).
func (p *Pipeline) Latest() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latest
}

// analyze runs the analyzer, turning a panic into an error: a broken analyzer
// costs the validator its extension, never the node.
func (p *Pipeline) analyze(ctx context.Context, b analyzer.Block) (rep analyzer.Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("analyzer panicked: %v", r)
		}
	}()
	return p.an.Analyze(ctx, b)
}

// Wait returns the report for height, waiting at most timeout for it.
func (p *Pipeline) Wait(height int64, timeout time.Duration) (analyzer.Report, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		rep, ok := p.reports[height]
		ch := p.changed
		p.mu.Unlock()
		if ok {
			return rep, true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return analyzer.Report{}, false
		}
	}
}

// Close stops the analyzer goroutine and waits for it.
func (p *Pipeline) Close() {
	p.stop()
	<-p.done
}

// BuildExtension turns a report on a block of n txs into the encoded extension:
// the risks of the SampleIndices choice (at most MaxScores), version 1.
func BuildExtension(rep analyzer.Report, n int) ([]byte, error) {
	ve := VoteExtension{Version: Version, ScoredHeight: rep.Height, ScoredBlockHash: rep.BlockHash, ModelId: rep.ModelID}
	if len(ve.ModelId) > MaxModelIDLen {
		ve.ModelId = ve.ModelId[:MaxModelIDLen]
	}
	if ve.ModelId == "" {
		ve.ModelId = "unknown"
	}
	for _, idx := range SampleIndices(rep.BlockHash, n, MaxScores) {
		if int(idx) >= len(rep.Risks) {
			break
		}
		ve.TxIndices = append(ve.TxIndices, idx)
		ve.Risks = append(ve.Risks, min(rep.Risks[idx], MaxRisk))
	}
	if err := ve.ValidateBasic(); err != nil {
		return nil, err
	}
	return ve.Marshal()
}
