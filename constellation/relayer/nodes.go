package relayer

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"

	"github.com/selfchain/selfchain/client"
)

// A chain's relayer talks to every node it knows of the chain (Side.RPCs):
//   - queries go to one node at a time, the next one in the list when it cannot be
//     dialled (failover below), so one validator's RPC down does not stop relaying;
//   - each signed tx goes to all of them at once (broadcastAll): the next proposer
//     has it without waiting for gossip, which on a loaded chain spread a page of
//     receives over 2-4 blocks. The same bytes go to every node, so there is one hash
//     and one sequence per tx, whichever node's mempool takes it.

// Nodes is the side's RPC followed by the other RPCs of its nodes, without repeats.
func (s Side) Nodes() []string {
	out := []string{s.RPC}
	seen := map[string]bool{s.RPC: true}
	for _, r := range s.RPCs {
		if r = strings.TrimSpace(r); r != "" && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// failover is an http.RoundTripper over several nodes' RPC transports: a request
// goes to the node that answered last, and to the next one in the list when that
// one cannot be dialled (the request never reached it, so sending it again is safe,
// broadcasts included). CometBFT's transports dial their own node whatever the
// request's URL says.
type failover struct {
	names []string
	rts   []http.RoundTripper
	cur   atomic.Int32
	logf  func(string, ...any) // nil: quiet
}

func newFailover(rpcs []string) (*failover, error) {
	f := &failover{}
	for _, r := range rpcs {
		hc, err := jsonrpcclient.DefaultHTTPClient(rpcURL(r))
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", r, err)
		}
		f.names, f.rts = append(f.names, r), append(f.rts, hc.Transport)
	}
	return f, nil
}

func (f *failover) RoundTrip(req *http.Request) (*http.Response, error) {
	start := int(f.cur.Load())
	var firstErr error
	for i := range f.rts {
		idx := (start + i) % len(f.rts)
		r := req
		if i > 0 {
			if req.GetBody == nil {
				break
			}
			body, err := req.GetBody()
			if err != nil {
				break
			}
			r = req.Clone(req.Context())
			r.Body = body
		}
		resp, err := f.rts[idx].RoundTrip(r)
		if err == nil || !isDialError(err) || req.Context().Err() != nil {
			if err == nil && idx != start && f.cur.CompareAndSwap(int32(start), int32(idx)) && f.logf != nil {
				f.logf("node %s cannot be reached: using %s", f.names[start], f.names[idx])
			}
			return resp, err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// isDialError: the request did not reach the node (refused, unreachable, no route).
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// newNodeClient is a client of the side's nodes with failover between them.
func newNodeClient(rpcs []string, logf func(string, ...any)) (*client.Client, error) {
	if len(rpcs) == 1 {
		return client.New(rpcURL(rpcs[0]))
	}
	f, err := newFailover(rpcs)
	if err != nil {
		return nil, err
	}
	f.logf = logf
	rpc, err := rpchttp.NewWithClient(rpcURL(rpcs[0]), "/websocket", &http.Client{Transport: f})
	if err != nil {
		return nil, fmt.Errorf("node %q: %w", rpcs[0], err)
	}
	return client.FromRPC(rpc), nil
}

// peer is one node a chain's txs are broadcast to.
type peer struct {
	rpc       string
	cl        *client.Client
	mu        sync.Mutex
	downUntil time.Time // after a failed dial: skipped until then
}

// peerRest is how long a node that could not be dialled is left out of broadcasts.
const peerRest = 2 * time.Second

func (p *peer) resting(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return now.Before(p.downUntil)
}

func (p *peer) rest(now time.Time) {
	p.mu.Lock()
	p.downUntil = now.Add(peerRest)
	p.mu.Unlock()
}

func newPeers(rpcs []string) ([]*peer, error) {
	out := make([]*peer, 0, len(rpcs))
	for _, r := range rpcs {
		cl, err := client.New(rpcURL(r))
		if err != nil {
			return nil, err
		}
		out = append(out, &peer{rpc: r, cl: cl})
	}
	return out, nil
}
