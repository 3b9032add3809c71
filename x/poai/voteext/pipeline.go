package voteext

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cometbft/cometbft/libs/log"

	"github.com/selfchain/selfchain/x/poai/analyzer"
)

// Pipeline runs a node's analyzer in the background, outside the state machine:
// after Commit(H) the app Submits block H, and each ExtendVote takes whatever
// reports have finished (Finished) for the blocks the chain still waits on. One
// goroutine prepares blocks in height order (the analyzer's history); a staged
// analyzer's slow part (an LLM call) then runs concurrently for up to maxInFlight
// blocks, so a model slower than the block time keeps up as long as it answers
// within the chain's score window.
type Pipeline struct {
	an      analyzer.Analyzer
	logger  log.Logger
	in      chan analyzer.Block
	stop    context.CancelFunc
	done    chan struct{}
	slots   chan struct{}         // one per analysis in flight
	observe func(analyzer.Report) // called with every report, from the analysis goroutine
	wg      sync.WaitGroup        // analyses in flight

	mu        sync.Mutex
	reports   map[int64]analyzer.Report // the last keepReports heights
	latest    int64                     // highest height with a report
	submitted int64                     // highest height submitted
	lastLag   int64                     // blocks submitted after the newest report's block when it landed
	changed   chan struct{}             // closed and replaced when a report lands
}

const (
	// keepReports: reports older than the widest window are of no use.
	keepReports = MaxWindow + 1
	// queueBlocks bounds blocks waiting for a slow analyzer; beyond it a block is
	// skipped (this validator does not report it) rather than delaying consensus.
	queueBlocks = MaxWindow
	// maxInFlight bounds a staged analyzer's concurrent model calls.
	maxInFlight = 8
)

// PipelineOption configures NewPipeline.
type PipelineOption func(*Pipeline)

// WithObserver has f see every report as it lands (the node's metrics).
func WithObserver(f func(analyzer.Report)) PipelineOption {
	return func(p *Pipeline) { p.observe = f }
}

// NewPipeline starts the analyzer goroutine; Close stops it.
func NewPipeline(an analyzer.Analyzer, logger log.Logger, opts ...PipelineOption) *Pipeline {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pipeline{an: an, logger: logger, in: make(chan analyzer.Block, queueBlocks), stop: cancel,
		done: make(chan struct{}), slots: make(chan struct{}, maxInFlight), observe: func(analyzer.Report) {},
		reports: map[int64]analyzer.Report{}, changed: make(chan struct{})}
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
	p.mu.Lock()
	p.submitted = max(p.submitted, b.Height)
	p.mu.Unlock()
	select {
	case p.in <- b:
	default:
		p.logger.Error("PoAI analyzer is behind; block skipped (this validator will not score it)", "height", b.Height)
	}
}

func (p *Pipeline) run(ctx context.Context) {
	defer close(p.done)
	defer p.wg.Wait()
	staged, _ := p.an.(analyzer.Staged)
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-p.in:
			b.ResolveRecipients()
			if staged == nil {
				p.finish(b, func() (analyzer.Report, error) { return p.an.Analyze(ctx, b) })
				continue
			}
			var rest func(context.Context) analyzer.Report
			if err := p.protect(func() error { rest = staged.Prepare(ctx, b); return nil }); err != nil {
				p.logger.Error("PoAI analyzer failed", "height", b.Height, "err", err)
				continue
			}
			select {
			case p.slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer func() { <-p.slots }()
				p.finish(b, func() (analyzer.Report, error) { return rest(ctx), nil })
			}()
		}
	}
}

// finish runs one analysis (a panic becomes an error: a broken analyzer costs
// the validator its report, never the node) and keeps its report.
func (p *Pipeline) finish(b analyzer.Block, analyze func() (analyzer.Report, error)) {
	var rep analyzer.Report
	err := p.protect(func() (err error) { rep, err = analyze(); return err })
	if err != nil {
		p.logger.Error("PoAI analyzer failed", "height", b.Height, "err", err)
		return
	}
	p.logReport(b, rep)
	rep.Height, rep.BlockHash = b.Height, b.Hash
	p.observe(rep)
	p.mu.Lock()
	p.reports[b.Height] = rep
	if b.Height >= p.latest {
		p.latest, p.lastLag = b.Height, p.submitted-b.Height
	}
	for h := range p.reports { // small map, node-local: order does not matter
		if h <= p.latest-keepReports {
			delete(p.reports, h)
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

func (p *Pipeline) protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("analyzer panicked: %v", r)
		}
	}()
	return f()
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

// KeepsUp says whether the analyzer finishes a block before the next one comes
// (its newest report landed before another block was submitted; true before the
// first): only then is it worth waiting a moment for the last block's report.
func (p *Pipeline) KeepsUp() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latest == 0 || p.lastLag == 0
}

// Finished returns the reports finished for heights (any order); missing ones are skipped.
func (p *Pipeline) Finished(heights []int64) []analyzer.Report {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []analyzer.Report
	for _, h := range heights {
		if rep, ok := p.reports[h]; ok {
			out = append(out, rep)
		}
	}
	return out
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

// Close stops the analyzer goroutine and the analyses in flight, and waits for them.
func (p *Pipeline) Close() {
	p.stop()
	<-p.done
}

// BuildExtension encodes reports (by increasing height) as one extension: each
// report's risks of the SampleIndices choice (at most MaxScores a block), as many
// reports, oldest first, as fit MaxReports and MaxExtensionBytes. It returns the
// extension and how many reports it holds.
func BuildExtension(reps []analyzer.Report) ([]byte, int, error) {
	reps = slices.Clone(reps)
	slices.SortFunc(reps, func(a, b analyzer.Report) int { return int(a.Height - b.Height) })
	ve := VoteExtension{Version: Version}
	var out []byte
	n := 0
	for _, rep := range reps {
		if len(ve.Blocks) == MaxReports {
			break
		}
		b := &BlockScores{Height: rep.Height, BlockHash: rep.BlockHash, ModelId: rep.ModelID}
		if len(b.ModelId) > MaxModelIDLen {
			b.ModelId = b.ModelId[:MaxModelIDLen]
		}
		if b.ModelId == "" {
			b.ModelId = "unknown"
		}
		for _, idx := range SampleIndices(rep.BlockHash, len(rep.Risks), MaxScores) {
			b.TxIndices = append(b.TxIndices, idx)
			b.Risks = append(b.Risks, min(rep.Risks[idx], MaxRisk))
			if rep.ByModel != nil {
				if _, byModel := slices.BinarySearch(rep.ByModel, idx); !byModel {
					b.BuiltinIndices = append(b.BuiltinIndices, idx)
				}
			}
		}
		if err := b.ValidateBasic(); err != nil {
			return nil, 0, fmt.Errorf("report on block %d: %w", rep.Height, err)
		}
		ve.Blocks = append(ve.Blocks, b)
		bz, err := ve.Marshal()
		if err != nil {
			return nil, 0, err
		}
		if len(bz) > MaxExtensionBytes {
			ve.Blocks = ve.Blocks[:len(ve.Blocks)-1]
			break
		}
		out, n = bz, n+1
	}
	if n == 0 {
		return nil, 0, nil
	}
	if err := ve.ValidateBasic(); err != nil {
		return nil, 0, err
	}
	return out, n, nil
}
