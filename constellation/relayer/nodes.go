package relayer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"

	"github.com/selfchain/selfchain/client"
)

// A chain's relayer talks to every node it knows of the chain (Side.RPCs):
//   - queries go to one node at a time, the next one in the list when it cannot be
//     dialled (failover below), so one validator's RPC down does not stop relaying;
//   - each signed tx goes to the first node that takes it (broadcastOne, the
//     default), or with Config.BroadcastAll to all of them at once (broadcastAll).
//     The same bytes go to every node, so there is one hash and one sequence per tx,
//     whichever node's mempool takes it. Sending to all was measured no faster, and
//     with the flood mempool copies racing gossip reached a proposer out of
//     sequence order (docs/CONSTELLATION.md).

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
// one fails at the transport (cannot be dialled, or a kept-alive connection was
// reset because the node stopped). Sending a request again is safe here: queries
// read, and a broadcast tx is the same bytes with the same hash on any node.
// CometBFT's transports dial their own node whatever the request's URL says.
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
		if err == nil || req.Context().Err() != nil {
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
	http      *http.Client // dials the node whatever the URL says
	sendMu    sync.Mutex
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
		hc, err := jsonrpcclient.DefaultHTTPClient(rpcURL(r))
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", r, err)
		}
		out = append(out, &peer{rpc: r, http: hc})
	}
	return out, nil
}

// txAnswer is one node's answer for one tx of a broadcast: its CheckTx result, or the
// JSON-RPC error the node gave for that tx alone.
type txAnswer struct {
	res *ctypes.ResultBroadcastTx
	err *rpctypes.RPCError
}

// taken: the node's mempool has the tx (it took it now, or had it from gossip).
func (a txAnswer) taken() bool {
	return a.res != nil && a.res.Code == 0 || a.err != nil && seenBefore(a.err.Message+a.err.Data)
}

// seenBefore reports CometBFT's refusal of a tx the node already has: "tx already
// exists in cache" from the flood mempool, "tx already seen" from the app mempool
// (a new home's default). Either may also mean the node refused the tx moments
// ago; then it never commits and the relay's wait for it times out, as for any
// lost tx.
func seenBefore(msg string) bool {
	return strings.Contains(msg, "tx already exists in cache") || strings.Contains(msg, "tx already seen")
}

// broadcastRaw sends txs to the peer as one JSON-RPC batch of broadcast_tx_sync and
// reads each answer on its own: CometBFT's batch client fails a whole batch when one
// call of it failed, and with every node broadcast to, a node often has a tx from
// gossip already ("tx already exists in cache", or "tx already seen" with the app mempool).
func (p *peer) broadcastRaw(ctx context.Context, txs [][]byte) ([]txAnswer, error) {
	reqs := make([]rpctypes.RPCRequest, len(txs))
	for i, tx := range txs {
		r, err := rpctypes.MapToRequest(rpctypes.JSONRPCIntID(i), "broadcast_tx_sync", map[string]any{"tx": tx})
		if err != nil {
			return nil, err
		}
		reqs[i] = r
	}
	var body []byte
	var err error
	if len(reqs) == 1 {
		body, err = json.Marshal(reqs[0])
	} else {
		body, err = json.Marshal(reqs)
	}
	if err != nil {
		return nil, err
	}
	p.sendMu.Lock() // one batch at a time to a node, in order: their sequences follow
	defer p.sendMu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://node/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	bz, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	out, err := decodeBroadcastAnswers(bz, len(txs))
	if err != nil {
		return nil, fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	return out, nil
}

// decodeBroadcastAnswers reads a node's answer to a batch of n broadcast_tx_sync
// calls (a bare response for a batch of one, or a whole request refused).
func decodeBroadcastAnswers(bz []byte, n int) ([]txAnswer, error) {
	var responses []rpctypes.RPCResponse
	if err := json.Unmarshal(bz, &responses); err != nil {
		var one rpctypes.RPCResponse
		if err1 := json.Unmarshal(bz, &one); err1 != nil {
			return nil, fmt.Errorf("undecodable answer: %w", err)
		}
		responses = []rpctypes.RPCResponse{one}
	}
	txs := make([]struct{}, n)
	out := make([]txAnswer, n)
	for _, r := range responses {
		id, ok := r.ID.(rpctypes.JSONRPCIntID)
		if !ok || int(id) < 0 || int(id) >= len(txs) {
			if r.Error != nil && len(responses) == 1 {
				return nil, r.Error // the whole request was refused
			}
			continue
		}
		if r.Error != nil {
			out[id].err = r.Error
			continue
		}
		var res ctypes.ResultBroadcastTx
		if err := cmtjson.Unmarshal(r.Result, &res); err != nil {
			return nil, fmt.Errorf("answer %d: %w", id, err)
		}
		out[id].res = &res
	}
	return out, nil
}
