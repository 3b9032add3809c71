package main

import (
	"time"
)

// The committed-throughput window.
//
// A block counts when it was committed inside (warm-up end, window end]. Its
// commit time is read from the next block's header: with CometBFT's BFT time,
// header time H+1 is the median of the validators' precommit timestamps for
// block H, i.e. when block H was decided. The rate is
//
//	txs of the run with code 0 in the counted blocks i..j
//	÷ (header time of block j+1 − header time of block i)
//
// that is, over the time from the commit of block i−1 to the commit of block j
// (the commits that bound the counted blocks), so neither the warm-up nor the
// drain after the submission phase enters the figure, and the figure reads like
// the "txs in blocks over block time" of other chains' load tools. A block
// whose successor was not observed (the last one of a run, or the one before a
// halt) cannot be placed and does not count.

// windowBlock is what the window needs of an observed block.
type windowBlock struct {
	Height int64
	Time   time.Time // header time
	OK     int       // txs of the run with code 0
}

// tpsWindow is the committed-throughput measurement.
type tpsWindow struct {
	From        time.Time `json:"from"` // warm-up end
	To          time.Time `json:"to"`   // window end (end of the submission phase)
	FirstHeight int64     `json:"first_height,omitempty"`
	LastHeight  int64     `json:"last_height,omitempty"`
	Blocks      int       `json:"blocks"`
	TxsOK       int       `json:"txs_ok"`
	Seconds     float64   `json:"seconds"` // commit of FirstHeight−1 → commit of LastHeight
	TPS         float64   `json:"tps"`
}

// measureWindow computes the window over blocks (ascending heights; gaps allowed).
func measureWindow(blocks []windowBlock, from, to time.Time) tpsWindow {
	w := tpsWindow{From: from, To: to}
	first, last := -1, -1
	for k := 0; k+1 < len(blocks); k++ {
		if blocks[k+1].Height != blocks[k].Height+1 {
			continue // the next header is not known: the commit time is not either
		}
		committed := blocks[k+1].Time
		if !committed.After(from) || committed.After(to) {
			continue
		}
		if first < 0 {
			first = k
		}
		last = k
	}
	if first < 0 {
		return w
	}
	w.FirstHeight, w.LastHeight = blocks[first].Height, blocks[last].Height
	// Each counted block k brings its txs and its own interval, from the commit
	// of k−1 (header time of k) to its commit (header time of k+1). For
	// consecutive heights the intervals add up to T(last+1) − T(first); a height
	// the watcher failed to read leaves out its txs and its time alike.
	var span time.Duration
	for k := first; k <= last; k++ {
		if blocks[k+1].Height != blocks[k].Height+1 {
			continue
		}
		w.Blocks++
		w.TxsOK += blocks[k].OK
		span += blocks[k+1].Time.Sub(blocks[k].Time)
	}
	w.Seconds = span.Seconds()
	if w.Seconds > 0 {
		w.TPS = float64(w.TxsOK) / w.Seconds
	}
	return w
}

// defaultWarmup is the warm-up when --warmup is not given: 10 s, but at most a
// fifth of the submission window (0 when the window is open-ended, --txs alone).
func defaultWarmup(sendWindow time.Duration) time.Duration {
	if sendWindow <= 0 {
		return 0
	}
	return min(10*time.Second, sendWindow/5)
}
