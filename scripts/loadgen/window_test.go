package main

import (
	"math"
	"testing"
	"time"
)

// chain makes blocks from height h0 with the given header-time offsets (seconds
// from t0) and OK-tx counts.
func chain(h0 int64, secs []float64, ok []int) []windowBlock {
	out := make([]windowBlock, len(secs))
	for i := range secs {
		out[i] = windowBlock{Height: h0 + int64(i), Time: t0.Add(time.Duration(secs[i] * float64(time.Second))), OK: ok[i]}
	}
	return out
}

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func TestMeasureWindowExcludesWarmupAndDrain(t *testing.T) {
	// Block h+1's header time is block h's commit. Heights 10..20, one a second.
	// Warm-up blocks hold a burst (9,000) that must not count, as do drain blocks.
	blocks := chain(10,
		[]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		[]int{0, 9000, 9000, 100, 200, 300, 400, 500, 7000, 7000, 7000})
	w := measureWindow(blocks, at(2.5), at(7.5))
	// Committed in (2.5, 7.5]: blocks whose successor's header time is 3..7,
	// i.e. heights 12..16 (OK 9000 is height 11, committed at 2: warm-up).
	if w.FirstHeight != 12 || w.LastHeight != 16 || w.Blocks != 5 {
		t.Fatalf("window %+v, want heights 12..16", w)
	}
	if w.TxsOK != 9000+100+200+300+400 {
		t.Fatalf("txs %d", w.TxsOK)
	}
	// From the commit of 11 (header time of 12: 2s) to the commit of 16 (header of 17: 7s).
	if w.Seconds != 5 {
		t.Fatalf("seconds %v, want 5", w.Seconds)
	}
	if w.TPS != float64(w.TxsOK)/5 {
		t.Fatalf("tps %v", w.TPS)
	}
}

func TestMeasureWindowUnevenBlocks(t *testing.T) {
	// Intervals 1, 3, 0.5, 2.5 s.
	blocks := chain(1, []float64{0, 1, 4, 4.5, 7}, []int{10, 30, 5, 25, 99})
	w := measureWindow(blocks, at(0), at(100))
	// Blocks 1..4 have known commits (1, 4, 4.5, 7); block 5's is unknown.
	if w.FirstHeight != 1 || w.LastHeight != 4 || w.TxsOK != 70 || w.Seconds != 7 || w.TPS != 10 {
		t.Fatalf("window %+v, want 70 txs over 7s", w)
	}
}

func TestMeasureWindowGap(t *testing.T) {
	// Height 4 was never read: block 3's commit is unknown, and block 4's txs
	// are not counted, so their time must not be either.
	blocks := []windowBlock{
		{Height: 1, Time: at(0), OK: 10},
		{Height: 2, Time: at(1), OK: 10},
		{Height: 3, Time: at(2), OK: 10},
		{Height: 5, Time: at(10), OK: 10},
		{Height: 6, Time: at(11), OK: 10},
		{Height: 7, Time: at(12), OK: 10},
	}
	w := measureWindow(blocks, at(0), at(100))
	// Counted: 1 (0→1), 2 (1→2), 5 (10→11), 6 (11→12): 40 txs over 4s.
	if w.Blocks != 4 || w.TxsOK != 40 || w.Seconds != 4 || w.TPS != 10 {
		t.Fatalf("window %+v, want 40 txs over 4s", w)
	}
}

func TestMeasureWindowEmpty(t *testing.T) {
	blocks := chain(1, []float64{0, 1, 2, 3}, []int{5, 5, 5, 5})
	for name, w := range map[string]tpsWindow{
		"no blocks":          measureWindow(nil, at(0), at(10)),
		"one block":          measureWindow(blocks[:1], at(-1), at(10)),
		"window before them": measureWindow(blocks, at(-10), at(0.5)),
		"window after them":  measureWindow(blocks, at(3), at(10)),
		"warm-up beyond end": measureWindow(blocks, at(5), at(4)),
	} {
		if w.Blocks != 0 || w.TxsOK != 0 || w.TPS != 0 || w.Seconds != 0 {
			t.Errorf("%s: %+v, want an empty window", name, w)
		}
		if math.IsNaN(w.TPS) {
			t.Errorf("%s: NaN", name)
		}
	}
}

func TestMeasureWindowBoundsAreHalfOpen(t *testing.T) {
	blocks := chain(1, []float64{0, 1, 2, 3}, []int{1, 2, 4, 8})
	// Commits at 1, 2, 3. (1, 3] takes the blocks committed at 2 and 3: heights 2, 3.
	w := measureWindow(blocks, at(1), at(3))
	if w.FirstHeight != 2 || w.LastHeight != 3 || w.TxsOK != 6 {
		t.Fatalf("window %+v, want heights 2..3", w)
	}
}

func TestDefaultWarmup(t *testing.T) {
	for _, c := range []struct{ window, want time.Duration }{
		{60 * time.Second, 10 * time.Second},
		{20 * time.Second, 4 * time.Second},
		{600 * time.Second, 10 * time.Second},
		{0, 0},
	} {
		if got := defaultWarmup(c.window); got != c.want {
			t.Errorf("defaultWarmup(%s) = %s, want %s", c.window, got, c.want)
		}
	}
}
