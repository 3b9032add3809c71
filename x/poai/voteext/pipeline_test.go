package voteext_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometbft/cometbft/libs/log"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/poai/analyzer"
	"github.com/selfchain/selfchain/x/poai/voteext"
)

type panicky struct{}

func (panicky) ModelID() string { return "panicky" }
func (panicky) Analyze(context.Context, analyzer.Block) (analyzer.Report, error) {
	panic("boom")
}

type slow struct{ d time.Duration }

func (slow) ModelID() string { return "slow" }
func (s slow) Analyze(ctx context.Context, b analyzer.Block) (analyzer.Report, error) {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
	}
	return analyzer.Report{ModelID: "slow", Risks: make([]uint32, len(b.Txs))}, nil
}

// Reports arrive for the submitted height; a late or broken analyzer means no
// report (an empty extension), never a blocked or crashed node.
func TestPipeline(t *testing.T) {
	p := voteext.NewPipeline(analyzer.NewBuiltin(analyzer.BuiltinConfig{}), nil)
	p.Submit(analyzer.Block{Height: 3, Hash: hash32, Txs: make([]analyzer.TxSummary, 2)})
	rep, ok := p.Wait(3, 5*time.Second)
	require.True(t, ok)
	require.Equal(t, int64(3), rep.Height)
	require.Equal(t, hash32, rep.BlockHash)
	require.Len(t, rep.Risks, 2)
	_, ok = p.Wait(4, 20*time.Millisecond)
	require.False(t, ok, "nothing submitted for 4")
	p.Close()

	pp := voteext.NewPipeline(panicky{}, nil)
	pp.Submit(analyzer.Block{Height: 1, Hash: hash32})
	_, ok = pp.Wait(1, 100*time.Millisecond)
	require.False(t, ok)
	pp.Close()

	ps := voteext.NewPipeline(slow{time.Second}, nil)
	start := time.Now()
	for h := int64(1); h <= 10; h++ { // never blocks, even when the queue is full
		ps.Submit(analyzer.Block{Height: h, Hash: hash32})
	}
	_, ok = ps.Wait(1, 50*time.Millisecond)
	require.False(t, ok, "late report: ExtendVote goes on with an empty extension")
	require.Less(t, time.Since(start), 500*time.Millisecond)
	ps.Close() // cancels the running analysis
}

// withCall reports a fixed LLM call, answered or not.
type withCall struct{ err error }

func (withCall) ModelID() string { return "llm:m" }
func (w withCall) Analyze(_ context.Context, b analyzer.Block) (analyzer.Report, error) {
	return analyzer.Report{ModelID: "llm:m", Risks: make([]uint32, len(b.Txs)),
		LLM: &analyzer.LLMCall{Latency: 1500 * time.Millisecond, Txs: 2, PromptTokens: 300, CompletionTokens: 40, Err: w.err}}, nil
}

// Every LLM call is logged at info with its latency, tokens and outcome, and
// handed to the observer (the node's metrics); Latest follows the reports.
func TestPipelineLogsEveryLLMCall(t *testing.T) {
	for _, tc := range []struct {
		err     error
		outcome string
	}{{nil, "outcome=ok"}, {errors.New("timed out after 2s"), `outcome="fallback to built-in: timed out after 2s"`}} {
		var buf testutil.SyncBuffer
		var seen atomic.Int32
		p := voteext.NewPipeline(withCall{tc.err}, log.NewTMLogger(&buf), voteext.WithObserver(func(rep analyzer.Report) {
			if rep.LLM != nil && rep.Height == 7 {
				seen.Add(1)
			}
		}))
		require.Equal(t, int64(0), p.Latest())
		p.Submit(analyzer.Block{Height: 7, Hash: hash32, Txs: make([]analyzer.TxSummary, 2)})
		_, ok := p.Wait(7, 5*time.Second)
		require.True(t, ok)
		p.Close()
		require.Equal(t, int64(7), p.Latest())
		require.Equal(t, int32(1), seen.Load())
		line := buf.String()
		for _, want := range []string{"I[", "PoAI LLM call", "height=7", "latency=1.5s", "prompt_tokens=300", "completion_tokens=40", tc.outcome} {
			require.Contains(t, line, want)
		}
	}
}

// staged prepares in order and then "calls a model" for d.
type staged struct {
	d                 time.Duration
	slowAt            int64 // this height's call takes 40 × d
	inFlight, maxSeen atomic.Int32
	prepared          []int64 // heights, in Prepare order (Prepare runs on one goroutine)
}

func (*staged) ModelID() string { return "llm:slow" }
func (s *staged) Analyze(ctx context.Context, b analyzer.Block) (analyzer.Report, error) {
	return s.Prepare(ctx, b)(ctx), nil
}
func (s *staged) Prepare(_ context.Context, b analyzer.Block) func(context.Context) analyzer.Report {
	s.prepared = append(s.prepared, b.Height)
	return func(ctx context.Context) analyzer.Report {
		n := s.inFlight.Add(1)
		for m := s.maxSeen.Load(); n > m && !s.maxSeen.CompareAndSwap(m, n); m = s.maxSeen.Load() {
		}
		d := s.d
		if b.Height == s.slowAt {
			d *= 40
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		s.inFlight.Add(-1)
		return analyzer.Report{ModelID: "llm:slow", Risks: make([]uint32, len(b.Txs))}
	}
}

// A model slower than the block time keeps up: blocks are prepared in height
// order, their model calls overlap, and every report lands (Finished).
func TestPipelineOverlapsSlowModelCalls(t *testing.T) {
	an := &staged{d: 400 * time.Millisecond}
	p := voteext.NewPipeline(an, nil)
	defer p.Close()
	for h := int64(1); h <= 6; h++ {
		p.Submit(analyzer.Block{Height: h, Hash: hash32, Txs: make([]analyzer.TxSummary, 1)})
	}
	for h := int64(1); h <= 6; h++ {
		_, ok := p.Wait(h, 10*time.Second)
		require.True(t, ok, "report %d", h)
	}
	require.Greater(t, an.maxSeen.Load(), int32(1), "model calls of several blocks ran at once")
	require.Equal(t, []int64{1, 2, 3, 4, 5, 6}, an.prepared)
	got := p.Finished([]int64{2, 4, 9})
	require.Len(t, got, 2, "9 was never submitted")
	require.Equal(t, int64(6), p.Latest())
}

// KeepsUp: an analyzer that finishes each block before the next is submitted
// keeps up; a slow model, whose reports land blocks later, does not (ExtendVote
// then does not wait for it).
func TestPipelineKeepsUp(t *testing.T) {
	fast := voteext.NewPipeline(analyzer.NewBuiltin(analyzer.BuiltinConfig{}), nil)
	defer fast.Close()
	require.True(t, fast.KeepsUp(), "before any report")
	for h := int64(1); h <= 3; h++ {
		fast.Submit(analyzer.Block{Height: h, Hash: hash32, Txs: make([]analyzer.TxSummary, 1)})
		_, ok := fast.Wait(h, 5*time.Second)
		require.True(t, ok)
	}
	require.True(t, fast.KeepsUp())

	slow := voteext.NewPipeline(&staged{d: 50 * time.Millisecond, slowAt: 2}, nil)
	defer slow.Close()
	// Block 2 comes before the model has answered on block 1 (and its own
	// answer takes 2 s): report 1 lands one block late.
	slow.Submit(analyzer.Block{Height: 1, Hash: hash32, Txs: make([]analyzer.TxSummary, 1)})
	slow.Submit(analyzer.Block{Height: 2, Hash: hash32, Txs: make([]analyzer.TxSummary, 1)})
	_, ok := slow.Wait(1, 5*time.Second)
	require.True(t, ok)
	require.False(t, slow.KeepsUp(), "its newest report landed after a later block was submitted")
}
