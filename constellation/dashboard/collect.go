package dashboard

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/selfchain/selfchain/constellation"
	"github.com/selfchain/selfchain/x/poai"
)

// chainView is what the dashboard knows of one chain after a poll: the status
// `constellation status` shows (with its verdict), recent blocks, flagged txs,
// bridges, and short histories kept across polls for the charts.
type chainView struct {
	Chain   *constellation.Chain
	Status  *constellation.ChainStatus
	Blocks  []constellation.BlockSummary // newest first, at most keepBlocks
	Flagged []poai.FlaggedTx
	// FlaggedErr says why flagged txs are missing (no node answers, a query error).
	FlaggedErr string
	Bridges    []constellation.BridgeStatus
	// Reputation samples per validator address, oldest first, at most keepSamples.
	Reputation map[string][]float64
	// History: x/poai's per-epoch reputation records by validator address.
	History map[string][]poai.ReputationRecord
	// LogTails: the end of each node's log, by node name.
	LogTails  map[string]*logTail
	Collected time.Duration // how long the poll of this chain took
	polls     int           // polls of this chain before this one
}

type logTail struct{ Node, Text string }

// tailBytes is the end of a log: its last lines within the last 4 KiB (a
// dashboard shows a glance; the node page reads more).
const tailBytes = 4 << 10

const (
	keepBlocks  = 60
	keepSamples = 60
	// slowEvery polls refresh bridges and flagged txs: each bridge snapshot
	// opens clients on both chains, too dear for every poll.
	slowEvery = 5
	// collectTimeout bounds one chain's poll, so a frozen node delays only its chain.
	collectTimeout = 5 * time.Second
)

// collectChain polls chain c: status (and verdict) through constellation's
// Collect, new blocks since the previous poll, and every slowEvery polls the
// bridges and flagged txs; then meters its usage.
func collectChain(ctx context.Context, c *constellation.Chain, prev *chainView, interval time.Duration, usage *usageBook) *chainView {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, collectTimeout)
	defer cancel()
	v := &chainView{Chain: c, Reputation: map[string][]float64{}}
	if prev != nil {
		v.polls = prev.polls + 1
	}
	v.Status = c.Collect(ctx)
	if prev != nil {
		v.Blocks, v.Flagged, v.FlaggedErr, v.Bridges, v.History = prev.Blocks, prev.Flagged, prev.FlaggedErr, prev.Bridges, prev.History
		for k, s := range prev.Reputation {
			v.Reputation[k] = s
		}
	}
	for _, val := range v.Status.Validators {
		if r, ok := parseRep(val.Reputation); ok {
			s := append(append([]float64(nil), v.Reputation[val.Address]...), r)
			if len(s) > keepSamples {
				s = s[len(s)-keepSamples:]
			}
			v.Reputation[val.Address] = s
		}
	}
	slow := v.polls%slowEvery == 0
	if v.Status.Height > 0 {
		newBlocks := usage.meterBlocks(ctx, c, v.Status.Height)
		v.Blocks = mergeBlocks(v.Blocks, newBlocks, v.Status.Height)
		if slow {
			if f, err := c.FlaggedTxs(ctx, 50); err != nil {
				v.FlaggedErr = err.Error()
			} else {
				v.Flagged, v.FlaggedErr = f, ""
			}
			hist := map[string][]poai.ReputationRecord{}
			for _, val := range v.Status.Validators {
				if val.Operator == "" {
					continue
				}
				if h, err := c.ReputationHistory(ctx, val.Operator); err == nil {
					hist[val.Address] = h
				} else if old, ok := v.History[val.Address]; ok {
					hist[val.Address] = old
				}
			}
			v.History = hist
		}
	}
	if slow {
		v.Bridges = c.BridgeViews(ctx)
	}
	v.LogTails = map[string]*logTail{}
	for _, n := range v.Status.Nodes {
		if t := lastLines(c.LogFile(n.Name), tailBytes, 8); t != "" {
			v.LogTails[n.Name] = &logTail{Node: n.Name, Text: t}
		}
	}
	usage.meterStatus(c.Spec.Name, v.Status, v.Bridges, interval, time.Now().UTC())
	v.Collected = time.Since(start)
	return v
}

// mergeBlocks adds fresh (newest first) to old, drops heights above the chain's
// (a chain made anew under the same name) and keeps the newest keepBlocks.
func mergeBlocks(old, fresh []constellation.BlockSummary, height int64) []constellation.BlockSummary {
	seen := map[int64]bool{}
	var out []constellation.BlockSummary
	for _, list := range [][]constellation.BlockSummary{fresh, old} {
		for _, b := range list {
			if b.Height <= height && !seen[b.Height] {
				seen[b.Height] = true
				out = append(out, b)
			}
		}
	}
	// Both lists are newest first; fresh heights are above old ones, except
	// after a reset, so sort to be sure.
	sortBlocks(out)
	if len(out) > keepBlocks {
		out = out[:keepBlocks]
	}
	return out
}

// lastLines is up to n whole lines from the last max bytes of a file.
func lastLines(path string, maxBytes int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-maxBytes, 0)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if off > 0 && len(lines) > 0 {
		lines = lines[1:] // a partial line
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func sortBlocks(b []constellation.BlockSummary) {
	for i := 1; i < len(b); i++ {
		for j := i; j > 0 && b[j].Height > b[j-1].Height; j-- {
			b[j], b[j-1] = b[j-1], b[j]
		}
	}
}
