package main

import (
	"context"
	"testing"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
)

// TestStampEventsOnArrival: a block event is stamped when it arrives, not when a
// busy loop gets to it, and lastEvent (the dropped-subscription check) moves with it.
func TestStampEventsOnArrival(t *testing.T) {
	w := newWatcher(nil, nil, 0, nil)
	ch := make(chan ctypes.ResultEvent)
	stop := make(chan struct{})
	defer close(stop)
	out := w.stampEvents(context.Background(), ch, stop)

	sent := time.Now()
	ch <- ctypes.ResultEvent{Query: "q"}
	time.Sleep(300 * time.Millisecond) // the loop is reading blocks
	se := <-out
	if lag := se.seen.Sub(sent); lag > 100*time.Millisecond {
		t.Fatalf("event stamped %s after it arrived; want its arrival", lag)
	}
	if got := time.Unix(0, w.lastEvent.Load()); got.Sub(sent) > 100*time.Millisecond {
		t.Fatalf("lastEvent %s after the event arrived; want its arrival", got.Sub(sent))
	}
	if se.ev.Query != "q" {
		t.Fatalf("event %+v, want the one sent", se.ev)
	}
}
