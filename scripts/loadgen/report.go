package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"syscall"
	"time"
)

type latencyStats struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type report struct {
	Node       string  `json:"node"`
	ChainID    string  `json:"chain_id"`
	Accounts   int     `json:"accounts"`
	TargetRate float64 `json:"target_rate"`
	Window     string  `json:"send_window"`
	Workers    int     `json:"workers"`
	Presigned  int     `json:"presigned"`
	AvgTxBytes int64   `json:"avg_tx_bytes"`
	Watch      string  `json:"commit_detection"`

	Submitted      int                   `json:"submitted"`
	NotSent        int                   `json:"not_sent"`
	Skipped        int                   `json:"skipped_after_account_failure"`
	SubmitSeconds  float64               `json:"submit_seconds"`
	SubmitRate     float64               `json:"submit_rate"`
	Accepted       int                   `json:"accepted"`
	Rejected       int                   `json:"rejected"`
	RejectedByCode map[string]*codeCount `json:"rejected_by_code"`
	RPCErrors      map[string]int        `json:"rpc_errors"`

	Committed         int            `json:"committed"`
	CommittedOK       int            `json:"committed_ok"`
	ExecFailedByCode  map[string]int `json:"committed_failed_by_code"`
	AcceptedNotCommit int            `json:"accepted_not_committed"`
	MempoolAtEnd      int            `json:"mempool_txs_at_end"`

	WindowSeconds float64      `json:"window_seconds"` // first submission → last commit
	CommittedTPS  float64      `json:"committed_tps"`
	BlockSpanTPS  float64      `json:"block_span_tps"` // txs after the first loaded block / time from it to the last
	LatencyMs     latencyStats `json:"latency_ms"`
	BroadcastMs   latencyStats `json:"broadcast_tx_sync_ms"` // round trip of the submission call

	Blocks          int         `json:"blocks"` // from the first to the last block holding run txs
	MeanTxsPerBlock float64     `json:"mean_txs_per_block"`
	MaxTxsPerBlock  int         `json:"max_txs_per_block"`
	MeanBlockSecs   float64     `json:"mean_block_interval_seconds"`
	BlockList       []blockInfo `json:"block_list"`

	NodeProc       *nodeStats `json:"node_process,omitempty"`
	LoadgenCPUSecs float64    `json:"loadgen_cpu_seconds"`
	ConnsOpened    int64      `json:"tcp_connections_opened"`
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func summarize(v []float64) latencyStats {
	if len(v) == 0 {
		return latencyStats{}
	}
	sort.Float64s(v)
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return latencyStats{P50: percentile(v, 50), P90: percentile(v, 90), P99: percentile(v, 99),
		Max: v[len(v)-1], Mean: sum / float64(len(v))}
}

func buildReport(cfg *config, set *txSet, res *submitResult, w *watcher, sampler *procSampler, total int) *report {
	r := &report{
		Node: cfg.node, ChainID: cfg.chainID, Accounts: cfg.accounts, TargetRate: cfg.rate,
		Workers: cfg.workers, Presigned: total, AvgTxBytes: set.bytes / int64(total), Watch: w.mode,
		Submitted: res.sent, NotSent: res.notSent, Skipped: res.skipped, Accepted: res.accepted,
		Rejected: res.rejectedTotal(), RejectedByCode: res.rejected, RPCErrors: res.rpcErrors,
		ExecFailedByCode: w.execFailed, MempoolAtEnd: -1,
	}
	if win := cfg.sendWindow(); win > 0 {
		r.Window = win.String()
	} else {
		r.Window = "until all sent"
	}
	if !res.first.IsZero() {
		r.SubmitSeconds = res.last.Sub(res.first).Seconds()
		if r.SubmitSeconds > 0 {
			r.SubmitRate = float64(res.sent) / r.SubmitSeconds
		}
	}

	var lat, rtt []float64
	var lastCommit int64
	for k := range set.txs {
		if set.submitAt[k].Load() != 0 {
			rtt = append(rtt, float64(set.rtt[k])/1e6)
		}
	}
	r.BroadcastMs = summarize(rtt)
	for k := range set.txs {
		c := set.commitAt[k]
		if c == 0 {
			continue
		}
		r.Committed++
		if set.execCode[k] == 0 {
			r.CommittedOK++
		}
		lastCommit = max(lastCommit, c)
		if s := set.submitAt[k].Load(); s != 0 {
			lat = append(lat, float64(c-s)/1e6)
		}
	}
	r.AcceptedNotCommit = max(0, r.Accepted-r.Committed)
	r.LatencyMs = summarize(lat)
	if lastCommit > 0 && !res.first.IsZero() {
		r.WindowSeconds = time.Unix(0, lastCommit).Sub(res.first).Seconds()
		if r.WindowSeconds > 0 {
			r.CommittedTPS = float64(r.Committed) / r.WindowSeconds
		}
	}

	// Blocks from the first to the last one holding txs of the run.
	first, last := -1, -1
	for i, b := range w.blocks {
		if b.Ours > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first >= 0 {
		span := w.blocks[first : last+1]
		r.BlockList = slices.Clone(span)
		r.Blocks = len(span)
		n := 0
		for _, b := range span {
			n += b.Txs
			r.MaxTxsPerBlock = max(r.MaxTxsPerBlock, b.Txs)
		}
		r.MeanTxsPerBlock = float64(n) / float64(len(span))
		if len(span) > 1 {
			r.MeanBlockSecs = span[len(span)-1].HeaderTime.Sub(span[0].HeaderTime).Seconds() / float64(len(span)-1)
			if secs := span[len(span)-1].SeenAt.Sub(span[0].SeenAt).Seconds(); secs > 0 {
				r.BlockSpanTPS = float64(n-span[0].Txs) / secs
			}
		}
	}
	if sampler != nil {
		r.NodeProc = sampler.stats()
	}
	r.ConnsOpened = connsOpened.Load()
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.LoadgenCPUSecs = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	return r
}

func (r *report) print(out io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	p("")
	p("== loadgen report ==")
	rate := "as fast as possible"
	if r.TargetRate > 0 {
		rate = fmt.Sprintf("%.0f tx/s", r.TargetRate)
	}
	p("node %s  chain %s  accounts %d  target %s  window %s  workers %d  (%d B/tx)",
		r.Node, r.ChainID, r.Accounts, rate, r.Window, r.Workers, r.AvgTxBytes)
	p("submitted        %d in %.1fs (%.0f tx/s); not sent in the window %d; skipped after an earlier tx of the account failed %d",
		r.Submitted, r.SubmitSeconds, r.SubmitRate, r.NotSent, r.Skipped)
	p("accepted (CheckTx) %d", r.Accepted)
	p("rejected (CheckTx) %d", r.Rejected)
	for _, k := range sortedKeys(r.RejectedByCode) {
		c := r.RejectedByCode[k]
		p("    code %-12s %8d  e.g. %s", k, c.Count, truncate(c.Example, 110))
	}
	if len(r.RPCErrors) > 0 {
		p("rpc errors       %d", sumInts(r.RPCErrors))
		for _, k := range sortedKeys(r.RPCErrors) {
			p("    %8d  %s", r.RPCErrors[k], k)
		}
	}
	p("committed        %d (ok %d, failed %d); accepted but not committed %d; mempool at end %d",
		r.Committed, r.CommittedOK, r.Committed-r.CommittedOK, r.AcceptedNotCommit, r.MempoolAtEnd)
	for _, k := range sortedKeys(r.ExecFailedByCode) {
		p("    failed in block, code %-12s %d", k, r.ExecFailedByCode[k])
	}
	p("throughput       %.0f tx/s committed over %.2fs (first submission → last commit)", r.CommittedTPS, r.WindowSeconds)
	p("                 %.0f tx/s between the first and last loaded block", r.BlockSpanTPS)
	p("latency (submit→commit, ms)  p50 %.0f  p90 %.0f  p99 %.0f  max %.0f  mean %.0f",
		r.LatencyMs.P50, r.LatencyMs.P90, r.LatencyMs.P99, r.LatencyMs.Max, r.LatencyMs.Mean)
	p("broadcast_tx_sync round trip (ms)  p50 %.1f  p90 %.1f  p99 %.1f  max %.0f",
		r.BroadcastMs.P50, r.BroadcastMs.P90, r.BroadcastMs.P99, r.BroadcastMs.Max)
	p("blocks           %d, mean %.1f txs/block, max %d, mean interval %.2fs  (%s)",
		r.Blocks, r.MeanTxsPerBlock, r.MaxTxsPerBlock, r.MeanBlockSecs, r.Watch)
	if n := r.NodeProc; n != nil {
		p("node pid %d      RSS MiB: before setup %.1f; during run min %.1f max %.1f last %.1f (%d samples)",
			n.PID, n.RSSAtStartMi, n.RSSMinMi, n.RSSMaxMi, n.RSSLastMi, len(n.Samples))
		p("CPU during run   node %.0f%%, loadgen %.0f%%, whole machine %.0f%% of %d%% (%d cores; the rest is other processes)",
			n.CPUPercent, n.LoadgenCPU, n.MachineCPU, 100*n.Cores, n.Cores)
	}
	p("loadgen CPU      %.1fs; %d TCP connections opened to the node", r.LoadgenCPUSecs, r.ConnsOpened)
}

func (r *report) writeJSON(path string) error {
	bz, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(bz, '\n'), 0o644)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sumInts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
