package relayer

import (
	"context"
	"fmt"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"
)

// heads follows one chain's new blocks so the workers act within milliseconds of
// the block that makes a packet provable, instead of on their next poll. Blocks
// come from the node's websocket (NewBlockHeader events); while no event has come
// for staleAfter (the subscription dropped, the node restarted, the websocket is
// refused), /status is polled every pollEvery instead, until events flow again.
type heads struct {
	mu     sync.Mutex
	height int64
	next   chan struct{} // closed when a higher height is seen
	live   bool          // events are arriving (not polling)
}

func newHeads() *heads { return &heads{next: make(chan struct{})} }

// observe records height h; it wakes the waiters when h is new.
func (w *heads) observe(h int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h <= w.height {
		return false
	}
	w.height = h
	close(w.next)
	w.next = make(chan struct{})
	return true
}

// wait is closed at the next height above the current one. Take it before looking
// at the chain, so a block committed meanwhile is not missed.
func (w *heads) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.next
}

// latest is the highest height seen.
func (w *heads) latest() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.height
}

func (w *heads) setLive(live bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	changed := w.live != live
	w.live = live
	return changed
}

// Live reports whether blocks currently come as events (false: polling).
func (w *heads) Live() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.live
}

// followCfg: how long without an event counts as a dropped subscription, and how
// often /status is polled meanwhile.
type followCfg struct {
	staleAfter, pollEvery time.Duration
	logf                  func(string, ...any)
	name                  string
}

// follow feeds w from events (heights) until ctx ends, polling with poll whenever
// no event came for staleAfter. events may be nil (no subscription: poll only).
func (w *heads) follow(ctx context.Context, events <-chan int64, poll func(context.Context) (int64, error), cfg followCfg) {
	last := time.Now()
	tick := time.NewTicker(cfg.pollEvery)
	defer tick.Stop()
	logf := cfg.logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if events != nil {
		w.setLive(true)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case h := <-events:
			last = time.Now()
			w.observe(h)
			if w.setLive(true) {
				logf("%s: block events flowing again (height %d): reacting to blocks as they commit", cfg.name, h)
			}
		case <-tick.C:
			if events != nil && time.Since(last) < cfg.staleAfter {
				continue
			}
			if events != nil && w.setLive(false) {
				logf("%s: no block event for %s: polling /status every %s until events come back", cfg.name, cfg.staleAfter, cfg.pollEvery)
			}
			pctx, cancel := context.WithTimeout(ctx, callTimeout)
			h, err := poll(pctx)
			cancel()
			if err == nil {
				w.observe(h)
			}
		}
	}
}

// newBlockHeaderQuery is CometBFT's event query for every new block header.
var newBlockHeaderQuery = cmttypes.QueryForEvent(cmttypes.EventNewBlockHeader).String()

// subscribe opens a websocket to the node and returns the heights of its new
// blocks; stop closes it. The CometBFT client reconnects and resubscribes on its
// own after a drop; follow polls meanwhile.
func subscribe(ctx context.Context, rpcAddr string) (<-chan int64, func(), error) {
	ws, err := rpchttp.New(rpcURL(rpcAddr), "/websocket")
	if err != nil {
		return nil, nil, err
	}
	if err := ws.Start(); err != nil {
		return nil, nil, fmt.Errorf("websocket to %s: %w", rpcAddr, err)
	}
	sctx, cancel := context.WithTimeout(ctx, callTimeout)
	raw, err := ws.Subscribe(sctx, "relayer", newBlockHeaderQuery, 64)
	cancel()
	if err != nil {
		_ = ws.Stop()
		return nil, nil, fmt.Errorf("subscribe to %s's new blocks: %w", rpcAddr, err)
	}
	out := make(chan int64, 64)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case ev := <-raw:
				if d, ok := ev.Data.(cmttypes.EventDataNewBlockHeader); ok {
					select {
					case out <- d.Header.Height:
					case <-done:
						return
					}
				}
			}
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			close(done)
			uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = ws.UnsubscribeAll(uctx, "relayer")
			cancel()
			_ = ws.Stop()
		})
	}
	return out, stop, nil
}

// watch keeps c.heads fed until ctx ends: from the websocket when it can subscribe,
// polling while it cannot (retrying the subscription every resubscribeEvery).
func (c *chain) watch(ctx context.Context, cfg followCfg) {
	poll := func(ctx context.Context) (int64, error) {
		h, _, err := c.latest(ctx)
		return h, err
	}
	for ctx.Err() == nil {
		events, stop, err := subscribe(ctx, c.RPC)
		if err == nil {
			c.heads.follow(ctx, events, poll, cfg)
			stop()
			return
		}
		if cfg.logf != nil {
			cfg.logf("%s: %v: polling /status every %s instead", c.Name, err, cfg.pollEvery)
		}
		c.heads.setLive(false)
		pctx, cancel := context.WithTimeout(ctx, resubscribeEvery)
		c.heads.follow(pctx, nil, poll, cfg)
		cancel()
	}
}

// resubscribeEvery is how often a relayer without a websocket tries again.
const resubscribeEvery = 30 * time.Second
