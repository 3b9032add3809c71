package relayer

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/bridge"
)

// storeKeysPath is the app's many-keys query of the bridge store (app/query.go): a
// query.StoreKeysRequest answered with each key's value and ICS-23 proof against
// the app hash of the query's height.
const storeKeysPath = "/store/" + bridge.ModuleName + "/keys"

// target is the height of the other chain at which a holder's client can check
// proofs: a header the relayer will submit first (update != nil), or the
// client's latest height when that is already as new.
type target struct {
	height uint64    // proofs are of the other chain's state at height-1
	time   time.Time // the other chain's block time at height
	update *bridge.MsgUpdateClient
}

// heldTarget is the client's latest consensus state: proofs at its height need no update.
func heldTarget(info bridge.ClientInfo) target {
	return target{height: info.Client.LatestHeight, time: time.Unix(0, info.LatestConsensusState.Timestamp)}
}

// proofTarget fetches other's newest header and says whether holder's client of
// other must be updated to it before proofs at its height can be checked. The header
// comes with the commit the node saw (bridge.FetchNewestHeader): a block's state is
// provable as soon as the next block commits, not one block later.
func proofTarget(ctx context.Context, holder, other *chain, info bridge.ClientInfo) (target, error) {
	latest := info.Client.LatestHeight
	current := heldTarget(info)
	// When the client already holds the tip (another relayer got there first, or
	// no block since), there is nothing to fetch. A block event above it says so
	// without asking.
	if tip := other.heads.latest(); tip <= int64(latest) {
		tip, _, err := other.latest(ctx)
		if err != nil {
			return target{}, err
		}
		if uint64(tip) <= latest {
			return current, nil
		}
	}
	fctx, cancel := context.WithTimeout(ctx, 2*callTimeout)
	defer cancel()
	h, err := bridge.FetchNewestHeader(fctx, other.hdrs, int64(latest))
	if err != nil {
		return target{}, fmt.Errorf("%s: header for %s's client %s: %w", other.Name, holder.Name, holder.ClientID, err)
	}
	var sp cmtproto.SignedHeader
	if err := sp.Unmarshal(h.SignedHeader); err != nil || sp.Header == nil {
		return target{}, fmt.Errorf("%s: undecodable header: %v", other.Name, err)
	}
	height := uint64(sp.Header.Height)
	if height <= latest {
		return current, nil
	}
	// Only the signatures the client needs (> 2/3 of the new set, and the trust level
	// of the trusted set when skipping): ~3.3 KB less per ML-DSA-65 validator left
	// out. A header it cannot parse goes as fetched, and the chain judges it.
	_, _ = bridge.TrimSignatures(h, info.Client.Params.TrustLevel)
	return target{height: height, time: sp.Header.Time, update: &bridge.MsgUpdateClient{Relayer: holder.addr, ClientId: holder.ClientID, Header: *h}}, nil
}

// keysPerQuery is how many keys one /store/bridge/keys query proves: ~1 KB of
// proof each, so a response stays well under CometBFT's RPC limits.
const keysPerQuery = 250

// proofQueries bounds the proof queries a relayer has in flight against one node.
const proofQueries = 4

// keyProof is one proven key: its value (nil: absent) and ProofOps bytes.
type keyProof struct {
	value, proof []byte
}

// proveMany proves keys of the side's bridge store at version (the state header
// version+1 commits), keysPerQuery to an abci_query, a few queries at a time: one
// query a key was the relayer's bottleneck.
func (c *chain) proveMany(ctx context.Context, keys [][]byte, version int64) ([]keyProof, error) {
	chunks := (len(keys) + keysPerQuery - 1) / keysPerQuery
	parts, err := parallel(ctx, chunks, proofQueries, func(ctx context.Context, i int) ([]keyProof, error) {
		return c.proveChunk(ctx, keys[i*keysPerQuery:min((i+1)*keysPerQuery, len(keys))], version)
	})
	if err != nil {
		return nil, err
	}
	out := make([]keyProof, 0, len(keys))
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

func (c *chain) proveChunk(ctx context.Context, keys [][]byte, version int64) ([]keyProof, error) {
	data, err := (&query.StoreKeysRequest{Keys: keys}).Marshal()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := c.cl.ABCIQuery(ctx, &abci.RequestQuery{Path: storeKeysPath, Data: data, Height: version})
	if err != nil {
		return nil, fmt.Errorf("%s: proofs of %d keys at %d: %w", c.Name, len(keys), version, err)
	}
	if res.Code != 0 {
		return nil, fmt.Errorf("%s: proofs of %d keys at %d: %s", c.Name, len(keys), version, res.Log)
	}
	if res.Height != version {
		return nil, fmt.Errorf("%s: asked for proofs at %d, got them at %d", c.Name, version, res.Height)
	}
	var resp query.StoreKeysResponse
	if err := resp.Unmarshal(res.Value); err != nil {
		return nil, fmt.Errorf("%s: undecodable proofs: %w", c.Name, err)
	}
	if len(resp.Proofs) != len(keys) {
		return nil, fmt.Errorf("%s: %d proofs for %d keys", c.Name, len(resp.Proofs), len(keys))
	}
	out := make([]keyProof, len(keys))
	for i, p := range resp.Proofs {
		if !bytes.Equal(p.Key, keys[i]) {
			return nil, fmt.Errorf("%s: proof %d is of key %X, asked for %X", c.Name, i, p.Key, keys[i])
		}
		out[i] = keyProof{value: p.Value, proof: p.ProofOps}
		if len(p.Value) == 0 {
			out[i].value = nil
		}
	}
	return out, nil
}

// parallel runs f for 0..n-1 on up to workers goroutines and returns the results
// in order, or the first error.
func parallel[T any](ctx context.Context, n, workers int, f func(ctx context.Context, i int) (T, error)) ([]T, error) {
	out := make([]T, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for range min(n, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil || i >= n
				mu.Unlock()
				if stop {
					return
				}
				v, err := f(ctx, i)
				mu.Lock()
				if err != nil && first == nil {
					first = err
					cancel()
				}
				out[i] = v
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, first
}

// lead is the update a tx at this target needs first (nil: the client holds it).
func (t target) lead() runtime.Msg {
	if t.update == nil {
		return nil
	}
	return t.update
}

// covers reports whether every packet in need has its sequence in have: packets
// committed as of the held height, so the held consensus state proves them.
func covers(have []uint64, need []bridge.Packet) bool {
	in := make(map[uint64]bool, len(have))
	for _, s := range have {
		in[s] = true
	}
	for _, p := range need {
		if !in[p.Sequence] {
			return false
		}
	}
	return true
}

// settledBy reports whether the held consensus state proves every settlement: the
// receipt of each received packet (none in unrecHeld, the packets the destination
// had not received as of the held state), and for each late one the absence of its
// receipt there with the held header's time past its timeout.
func settledBy(held target, unrecHeld map[uint64]bool, recvd, late []bridge.Packet) bool {
	for _, p := range recvd {
		if unrecHeld[p.Sequence] {
			return false
		}
	}
	for _, p := range late {
		if !unrecHeld[p.Sequence] || time.Unix(int64(p.TimeoutTimestamp), 0).After(held.time) {
			return false
		}
	}
	return true
}

// skipUpdate is tgt, or held when tgt would update the client and provesAll says
// the client's held consensus state already proves everything to relay: no update
// in the tx then (an ML-DSA-65 update of 4 validators is ~34 KB and ~500,000 gas).
// Proofs are built at the returned target's height, so a proof at a height the
// client does not hold always travels behind its update.
func skipUpdate(tgt, held target, provesAll func(held target) bool) target {
	if tgt.update == nil || held.height < 2 || !provesAll(held) {
		return tgt
	}
	return held
}
