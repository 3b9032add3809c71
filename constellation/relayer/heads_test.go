package relayer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHeadsObserveWakes(t *testing.T) {
	w := newHeads()
	ch := w.wait()
	require.False(t, w.observe(0), "height 0 is not news")
	select {
	case <-ch:
		t.Fatal("woken without a new height")
	default:
	}
	require.True(t, w.observe(5))
	<-ch // closed by the new height
	require.EqualValues(t, 5, w.latest())
	ch = w.wait()
	require.False(t, w.observe(5), "the same height again")
	require.False(t, w.observe(4), "an older height")
	select {
	case <-ch:
		t.Fatal("woken by an old height")
	default:
	}
}

// fakeNode stands in for a node's /status in the fallback tests: its height, and how
// often it was asked.
type fakeNode struct {
	height, polls atomic.Int64
}

func (n *fakeNode) poll(context.Context) (int64, error) {
	n.polls.Add(1)
	return n.height.Load(), nil
}

// TestHeadsFallbackWhenEventsStop: blocks come as events; when they stop (the
// subscription dropped) the watcher polls and still sees new heights; when events come
// back, polling stops.
func TestHeadsFallbackWhenEventsStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logMu sync.Mutex
	var logs []string
	cfg := followCfg{staleAfter: 150 * time.Millisecond, pollEvery: 10 * time.Millisecond, name: "acme", logf: func(f string, a ...any) {
		logMu.Lock()
		logs = append(logs, fmt.Sprintf(f, a...))
		logMu.Unlock()
	}}
	events := make(chan int64)
	node := &fakeNode{}
	w := newHeads()
	done := make(chan struct{})
	go func() { defer close(done); w.follow(ctx, events, node.poll, cfg) }()

	// Live: each event wakes the waiters at once; no polling.
	for h := int64(1); h <= 3; h++ {
		ch := w.wait()
		events <- h
		select {
		case <-ch:
		case <-time.After(time.Second):
			t.Fatalf("height %d did not wake the waiters", h)
		}
	}
	require.True(t, w.Live())
	require.Zero(t, node.polls.Load(), "polled while events were flowing")

	// The subscription drops: no more events, the chain goes on.
	node.height.Store(7)
	require.Eventually(t, func() bool { return w.latest() == 7 }, 2*time.Second, 5*time.Millisecond, "polling did not take over")
	require.False(t, w.Live())
	ch := w.wait()
	node.height.Store(8)
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatal("a polled height did not wake the waiters")
	}

	// Events again: live, and polling stops.
	events <- 9
	require.Eventually(t, w.Live, time.Second, 5*time.Millisecond)
	require.EqualValues(t, 9, w.latest())
	before := node.polls.Load()
	for h := int64(10); h < 14; h++ {
		events <- h
		time.Sleep(20 * time.Millisecond)
	}
	require.LessOrEqual(t, node.polls.Load()-before, int64(1), "still polling while events flow")

	cancel()
	<-done
	logMu.Lock()
	defer logMu.Unlock()
	require.Len(t, logs, 2, "one line when events stop, one when they are back: %q", logs)
	require.Contains(t, logs[0], "no block event")
	require.Contains(t, logs[1], "flowing again")
}

// TestHeadsPollOnlyAndPollErrors: without a subscription the watcher only polls; a
// failing poll is skipped, not fatal.
func TestHeadsPollOnlyAndPollErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	poll := func(context.Context) (int64, error) {
		if n.Add(1)%2 == 0 {
			return 0, errors.New("node down")
		}
		return n.Load(), nil
	}
	w := newHeads()
	go w.follow(ctx, nil, poll, followCfg{staleAfter: time.Hour, pollEvery: 5 * time.Millisecond})
	require.Eventually(t, func() bool { return w.latest() >= 9 }, 2*time.Second, 5*time.Millisecond)
	require.False(t, w.Live())
}

// TestSubscribeRefused: a node whose websocket cannot be reached is reported (the
// watcher then polls), not waited for.
func TestSubscribeRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	start := time.Now()
	_, _, err = subscribe(context.Background(), "http://"+l.Addr().String())
	require.Error(t, err)
	require.Less(t, time.Since(start), 15*time.Second)
}
