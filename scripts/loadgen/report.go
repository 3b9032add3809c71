package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/selfchain/selfchain/app/tx"
)

type latencyStats struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type report struct {
	Node       string    `json:"node"`
	SubmitTo   []string  `json:"submit_nodes,omitempty"` // more nodes broadcasts went to
	SubmitVia  string    `json:"submit_via"`             // "rpc" (broadcast_tx_sync) or "api" (POST /txs)
	ChainID    string    `json:"chain_id"`
	Accounts   int       `json:"accounts"`
	TargetRate float64   `json:"target_rate"`
	Window     string    `json:"send_window"`
	Workers    int       `json:"workers"`
	Presigned  int       `json:"presigned"`
	AvgTxBytes int64     `json:"avg_tx_bytes"`
	Watch      string    `json:"commit_detection"`
	KeyType    string    `json:"key_type"`
	Gas        gasChoice `json:"gas"`
	FeeFirst   string    `json:"fee_first_tx"`
	FeeLater   string    `json:"fee_later_tx"`
	Warmup     float64   `json:"warmup_seconds"`

	// Halted is set when the chain stopped committing while txs were pending:
	// the run ended early and failed.
	Halted *haltInfo `json:"halted"`

	Submitted      int                   `json:"submitted"`
	NotSent        int                   `json:"not_sent"`
	Skipped        int                   `json:"skipped_after_account_failure"`
	Retries        int                   `json:"retries_after_retry_code"`
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
	MempoolAtEnd      int            `json:"mempool_txs_at_end"`     // CometBFT's num_unconfirmed_txs: 0 with the app mempool
	MempoolType       string         `json:"mempool_type"`           // the node's, from /app/mempool ("": not known)
	AppMempoolAtEnd   int            `json:"app_mempool_txs_at_end"` // the app mempool's pending txs (-1: not known, or flood)

	// CommittedTPS is TPSWindow.TPS: txs with code 0 in the blocks committed between
	// the warm-up's end and the submission phase's end, over the time between the
	// commits that bound those blocks (block header times); see window.go.
	CommittedTPS float64   `json:"committed_tps"`
	TPSWindow    tpsWindow `json:"committed_tps_window"`
	// OverallTPS is every committed tx over first submission → last commit
	// (warm-up, drain and any stall included): for comparison with old reports.
	OverallSeconds float64      `json:"overall_seconds"`
	OverallTPS     float64      `json:"overall_committed_tps"`
	LatencyMs      latencyStats `json:"latency_ms"`
	// BroadcastMs is the round trip of the submission call (broadcast_tx_sync or
	// POST /txs, per SubmitVia); the JSON name is kept for older report readers.
	BroadcastMs latencyStats `json:"broadcast_tx_sync_ms"`

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

func buildReport(cfg *config, set *txSet, res *submitResult, w *watcher, sampler *procSampler, total int,
	gas gasChoice, halt *haltInfo) *report {
	prices, _ := tx.ParseGasPrices(cfg.gasPrices) // validated by run
	r := &report{
		Node: cfg.node, SubmitTo: cfg.submitNodes, ChainID: cfg.chainID, Accounts: cfg.accounts, TargetRate: cfg.rate,
		Workers: cfg.workers, Presigned: total, AvgTxBytes: set.bytes / int64(total), Watch: w.mode, SubmitVia: cfg.submitVia,
		KeyType: cfg.keyType, Gas: gas, FeeFirst: feeFor(prices[0], gas.First).String(),
		FeeLater: feeFor(prices[0], gas.Later).String(), Warmup: cfg.warmup.Seconds(), Halted: halt,
		Submitted: res.sent, NotSent: res.notSent, Skipped: res.skipped, Retries: res.retries, Accepted: res.accepted,
		Rejected: res.rejectedTotal(), RejectedByCode: res.rejected, RPCErrors: res.rpcErrors,
		ExecFailedByCode: w.execFailed, MempoolAtEnd: -1,
	}
	r.MempoolType, r.AppMempoolAtEnd = w.appMempoolAtEnd()
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
	okAt := map[int64]int{} // txs of the run with code 0, by height
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
			okAt[set.height[k]]++
		}
		lastCommit = max(lastCommit, c)
		if s := set.submitAt[k].Load(); s != 0 {
			lat = append(lat, float64(c-s)/1e6)
		}
	}
	r.AcceptedNotCommit = max(0, r.Accepted-r.Committed)
	r.LatencyMs = summarize(lat)
	if lastCommit > 0 && !res.first.IsZero() {
		r.OverallSeconds = time.Unix(0, lastCommit).Sub(res.first).Seconds()
		if r.OverallSeconds > 0 {
			r.OverallTPS = float64(r.Committed) / r.OverallSeconds
		}
	}
	if !res.first.IsZero() {
		wb := make([]windowBlock, len(w.blocks))
		for i, b := range w.blocks {
			wb[i] = windowBlock{Height: b.Height, Time: b.HeaderTime, OK: okAt[b.Height]}
		}
		r.TPSWindow = measureWindow(wb, res.first.Add(cfg.warmup), res.sendEnd)
		r.CommittedTPS = r.TPSWindow.TPS
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
	p("node %s  chain %s  %d %s accounts  target %s  window %s  workers %d  (%d B/tx)",
		r.Node, r.ChainID, r.Accounts, r.KeyType, rate, r.Window, r.Workers, r.AvgTxBytes)
	if len(r.SubmitTo) > 0 {
		p("broadcasts       spread by account over %s and %s", r.Node, strings.Join(r.SubmitTo, ", "))
	}
	p("gas              first tx of an account %d (fee %s), later txs %d (fee %s); %s",
		r.Gas.First, r.FeeFirst, r.Gas.Later, r.FeeLater, r.Gas.Source)
	if r.Halted != nil {
		p("%s", r.Halted)
	}
	p("submitted        %d in %.1fs (%.0f tx/s); not sent in the window %d; skipped after an earlier tx of the account failed %d",
		r.Submitted, r.SubmitSeconds, r.SubmitRate, r.NotSent, r.Skipped)
	p("accepted (CheckTx) %d (resubmissions after a retry code such as mempool full: %d)", r.Accepted, r.Retries)
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
	p("committed        %d (ok %d, failed %d); accepted but not committed %d; %s",
		r.Committed, r.CommittedOK, r.Committed-r.CommittedOK, r.AcceptedNotCommit, r.mempoolAtEnd())
	for _, k := range sortedKeys(r.ExecFailedByCode) {
		p("    failed in block, code %-12s %d", k, r.ExecFailedByCode[k])
	}
	wn := r.TPSWindow
	label := "throughput      "
	if r.Halted != nil {
		label = "before the HALT "
	}
	if wn.Blocks > 0 {
		p("%s %.0f tx/s committed: %d txs with code 0 in blocks %d..%d (%d blocks) over %.2fs",
			label, r.CommittedTPS, wn.TxsOK, wn.FirstHeight, wn.LastHeight, wn.Blocks, wn.Seconds)
	} else {
		p("%s 0 tx/s committed: no block committed between the warm-up's end and the submission's end", label)
	}
	p("                 (blocks committed after the %.0fs warm-up and before the submission phase ended; time from the",
		r.Warmup)
	p("                 commit before the first of them to the commit of the last, by block header times)")
	p("                 overall %.0f tx/s: all %d committed over %.2fs from the first submission to the last commit",
		r.OverallTPS, r.Committed, r.OverallSeconds)
	p("latency (submit→commit, ms)  p50 %.0f  p90 %.0f  p99 %.0f  max %.0f  mean %.0f",
		r.LatencyMs.P50, r.LatencyMs.P90, r.LatencyMs.P99, r.LatencyMs.Max, r.LatencyMs.Mean)
	call := "broadcast_tx_sync"
	if r.SubmitVia == "api" {
		call = "POST /txs"
	}
	p("%s round trip (ms)  p50 %.1f  p90 %.1f  p99 %.1f  max %.0f", call,
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

// mempoolAtEnd says what the node's mempool held after the run, and which
// mempool that is: CometBFT's unconfirmed-tx count is 0 with the app mempool.
func (r *report) mempoolAtEnd() string {
	switch {
	case r.MempoolType == "app" && r.AppMempoolAtEnd >= 0:
		return fmt.Sprintf("app mempool at end %d", r.AppMempoolAtEnd)
	case r.MempoolType != "" && r.MempoolAtEnd >= 0:
		return fmt.Sprintf("%s mempool at end %d", r.MempoolType, r.MempoolAtEnd)
	case r.MempoolAtEnd >= 0:
		return fmt.Sprintf("CometBFT mempool at end %d (0 with the app mempool, whose count the node did not report)", r.MempoolAtEnd)
	}
	return "mempool at end not known"
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

// verdict is the run's outcome: nil for a run that committed txs, an error (and
// so a non-zero exit) for a halt, an interruption or a run that committed nothing.
func (r *report) verdict(interrupted bool) error {
	switch {
	case r.Halted != nil:
		return fmt.Errorf("FAILED: chain HALTED at height %d (no block for %.0fs with %d txs pending)",
			r.Halted.Height, r.Halted.Since, r.Halted.Pending)
	case interrupted:
		return errors.New("interrupted")
	case r.TPSWindow.TxsOK == 0:
		why := fmt.Sprintf("%d accepted, %d committed with code 0 in the whole run", r.Accepted, r.CommittedOK)
		if r.Rejected > 0 {
			why += fmt.Sprintf(", %d rejected by CheckTx (see the codes above)", r.Rejected)
		}
		return fmt.Errorf("FAILED: the run committed no tx with code 0 between the warm-up's end and the submission's end (%s)", why)
	}
	return nil
}
