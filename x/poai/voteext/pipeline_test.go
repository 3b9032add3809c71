package voteext_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
