package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// observeEvery feeds heights from..to with header times every interval from start,
// seen when their header says.
func observeEvery(d *haltDetector, from, to int64, start time.Time, interval time.Duration) time.Time {
	at := start
	for h := from; h <= to; h++ {
		d.observe(h, at, at)
		if h < to {
			at = at.Add(interval)
		}
	}
	return at
}

func TestBlockTimeIsMedianOfConsecutiveIntervals(t *testing.T) {
	d := newHaltDetector(10, time.Second)
	// Intervals 2s, 2s, 9s (one slow block), 2s, 3s: median 2s.
	times := []time.Duration{0, 2, 4, 13, 15, 18}
	for i, s := range times {
		d.observe(int64(100+i), t0.Add(s*time.Second), t0.Add(s*time.Second))
	}
	if got := d.blockTime(); got != 2*time.Second {
		t.Fatalf("block time %s, want the median 2s", got)
	}
	// A gap in heights (106 → 110) is not an interval: 60s must not count.
	d.observe(110, t0.Add(78*time.Second), t0.Add(78*time.Second))
	if got := d.blockTime(); got != 2*time.Second {
		t.Fatalf("block time %s after a height gap, want 2s", got)
	}
	// An even count takes the mean of the middle two: 2,2,2,3,9 + 4 → 2,2,2,3,4,9 → 2.5s.
	d.observe(111, t0.Add(82*time.Second), t0.Add(82*time.Second))
	if got := d.blockTime(); got != 2500*time.Millisecond {
		t.Fatalf("block time %s, want 2.5s", got)
	}
}

func TestBlockTimeFloor(t *testing.T) {
	d := newHaltDetector(10, time.Second)
	if got := d.blockTime(); got != time.Second {
		t.Fatalf("no blocks yet: block time %s, want the 1s floor", got)
	}
	observeEvery(d, 1, 20, t0, 100*time.Millisecond)
	if got := d.blockTime(); got != time.Second {
		t.Fatalf("100ms blocks: block time %s, want the 1s floor", got)
	}
}

func TestBlockTimeFollowsRecentBlocks(t *testing.T) {
	d := newHaltDetector(10, time.Second)
	end := observeEvery(d, 1, 50, t0, time.Second)
	// Under load blocks slow down to 4s: once they are most of the kept
	// intervals, the estimate follows.
	observeEvery(d, 51, 51+intervalsKept, end.Add(4*time.Second), 4*time.Second)
	if got := d.blockTime(); got != 4*time.Second {
		t.Fatalf("block time %s, want 4s", got)
	}
}

func TestHaltCheck(t *testing.T) {
	d := newHaltDetector(10, time.Second)
	last := observeEvery(d, 1, 30, t0, 2*time.Second) // 2s blocks: threshold 20s
	if _, halted := d.check(last.Add(19*time.Second), 100); halted {
		t.Fatal("halted after 19s without a block: the threshold is 10 × 2s")
	}
	info, halted := d.check(last.Add(21*time.Second), 100)
	if !halted {
		t.Fatal("not halted after 21s without a block and txs pending")
	}
	if info.Height != 30 || !info.LastBlockTime.Equal(last) || info.BlockTime != 2 || info.Threshold != 20 || info.Since != 21 || info.Pending != 100 {
		t.Fatalf("halt info %+v", info)
	}
	if _, halted := d.check(last.Add(time.Hour), 0); halted {
		t.Fatal("halted with nothing pending: an idle chain that makes no empty blocks is not halted")
	}
	// A height from /status counts as progress.
	d.progress(31, last.Add(20*time.Second))
	if _, halted := d.check(last.Add(21*time.Second), 100); halted {
		t.Fatal("halted although /status reported a new block a second ago")
	}
	// A lower or equal height does not.
	d.progress(31, last.Add(50*time.Second))
	if _, halted := d.check(last.Add(41*time.Second), 100); !halted {
		t.Fatal("a repeated height must not count as progress")
	}
	s := info.String()
	for _, want := range []string{"HALTED at height 30", "21.0s", "2026-11-22T12:00:58Z"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}

func TestHaltCheckBeforeAnyBlock(t *testing.T) {
	d := newHaltDetector(10, time.Second)
	if _, halted := d.check(t0.Add(time.Hour), 5); halted {
		t.Fatal("halted before any progress was recorded")
	}
}

func TestStalling(t *testing.T) {
	d := newHaltDetector(10, time.Second)
	last := observeEvery(d, 1, 10, t0, 3*time.Second)
	if d.stalling(last.Add(5 * time.Second)) {
		t.Fatal("stalling after 5s with 3s blocks")
	}
	if !d.stalling(last.Add(7 * time.Second)) {
		t.Fatal("not stalling after 7s with 3s blocks (> 2 block times)")
	}
}

func TestHaltMonitorTick(t *testing.T) {
	newDet := func() (*haltDetector, time.Time) {
		d := newHaltDetector(10, time.Second)
		return d, observeEvery(d, 1, 10, t0, time.Second)
	}
	pending := func() int64 { return 7 }

	t.Run("watcher behind, node moved on", func(t *testing.T) {
		d, last := newDet()
		cancelled := false
		m := &haltMonitor{det: d, pending: pending, cancel: func() { cancelled = true },
			status: func(context.Context) (int64, error) { return 12, nil }}
		if m.tick(context.Background(), last.Add(11*time.Second)) || cancelled || m.result() != nil {
			t.Fatal("declared a halt although /status shows a higher height")
		}
		if d.height != 12 {
			t.Fatalf("height %d, want /status's 12 recorded as progress", d.height)
		}
	})
	t.Run("node at the same height", func(t *testing.T) {
		d, last := newDet()
		cancelled := false
		m := &haltMonitor{det: d, pending: pending, cancel: func() { cancelled = true },
			status: func(context.Context) (int64, error) { return 10, nil }}
		if !m.tick(context.Background(), last.Add(11*time.Second)) || !cancelled {
			t.Fatal("no halt declared after 11 × 1s without a block")
		}
		if h := m.result(); h == nil || h.Height != 10 || !strings.Contains(h.Reason, "/status also says height 10") {
			t.Fatalf("halt %+v", h)
		}
	})
	t.Run("node not answering", func(t *testing.T) {
		d, last := newDet()
		cancelled := false
		m := &haltMonitor{det: d, pending: pending, cancel: func() { cancelled = true },
			status: func(context.Context) (int64, error) { return 0, errors.New("context deadline exceeded") }}
		if !m.tick(context.Background(), last.Add(11*time.Second)) || !cancelled {
			t.Fatal("no halt declared for a node that does not answer")
		}
		if h := m.result(); h == nil || !strings.Contains(h.Reason, "does not answer /status") {
			t.Fatalf("halt %+v", h)
		}
	})
	t.Run("not yet", func(t *testing.T) {
		d, last := newDet()
		called := false
		m := &haltMonitor{det: d, pending: pending, cancel: func() { t.Fatal("cancelled") },
			status: func(context.Context) (int64, error) { called = true; return 10, nil }}
		if m.tick(context.Background(), last.Add(9*time.Second)) || called {
			t.Fatal("checked /status or declared a halt before the threshold")
		}
	})
}

// The monitor's goroutine, end to end on a fake clock-free setup: a detector whose
// last block is long past ends the run context.
func TestHaltMonitorCancelsRun(t *testing.T) {
	d := newHaltDetector(10, time.Second)
	observeEvery(d, 1, 5, time.Now().Add(-time.Minute), time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := startHaltMonitor(ctx, d, func(context.Context) (int64, error) { return 5, nil },
		func() int64 { return 1 }, cancel, 10*time.Millisecond)
	defer m.stop()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the run was not ended")
	}
	m.stop()
	if m.result() == nil {
		t.Fatal("no halt recorded")
	}
}
