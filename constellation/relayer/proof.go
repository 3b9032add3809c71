package relayer

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/selfchain/selfchain/x/bridge"
)

// storePath is the app's raw-key query of the bridge store (app/query.go): with
// prove=true it answers the value and an ICS-23 proof against the app hash.
const storePath = "/store/" + bridge.ModuleName + "/key"

// prove reads key from the side's bridge store as of the state committed at
// version (the state header version+1 commits) and returns the value (nil:
// absent) and the ProofOps bytes a bridge message carries.
func (c *chain) prove(ctx context.Context, key []byte, version int64) ([]byte, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := c.cl.ABCIQuery(ctx, &abci.RequestQuery{Path: storePath, Data: key, Height: version, Prove: true})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: proof of %X at %d: %w", c.Name, key, version, err)
	}
	if res.Code != 0 {
		return nil, nil, fmt.Errorf("%s: proof of %X at %d: %s", c.Name, key, version, res.Log)
	}
	if res.ProofOps == nil {
		return nil, nil, fmt.Errorf("%s: the node answered no proof of %X at %d", c.Name, key, version)
	}
	if res.Height != version {
		return nil, nil, fmt.Errorf("%s: asked for a proof at %d, got one at %d", c.Name, version, res.Height)
	}
	bz, err := res.ProofOps.Marshal()
	return res.Value, bz, err
}

// proveMembership proves key holds want at version.
func (c *chain) proveMembership(ctx context.Context, key, want []byte, version int64) ([]byte, error) {
	v, proof, err := c.prove(ctx, key, version)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(v, want) {
		return nil, fmt.Errorf("%s: key %X at %d holds %X, not the expected %X", c.Name, key, version, v, want)
	}
	return proof, nil
}

// target is the height of the other chain at which a holder's client can check
// proofs: a header the relayer will submit first (update != nil), or the
// client's latest height when that is already as new.
type target struct {
	height uint64    // proofs are of the other chain's state at height-1
	time   time.Time // the other chain's block time at height
	update *bridge.MsgUpdateClient
}

// proofTarget fetches other's latest header and says whether holder's client of
// other must be updated to it before proofs at its height can be checked.
func proofTarget(ctx context.Context, holder, other *chain, info bridge.ClientInfo) (target, error) {
	latest := info.Client.LatestHeight
	current := target{height: latest, time: time.Unix(0, info.LatestConsensusState.Timestamp)}
	// The newest header with a final commit is usually one below the tip. When
	// the client already holds it (another relayer got there first), there is
	// nothing to fetch, and asking for validators above the tip would fail.
	tip, _, err := other.latest(ctx)
	if err != nil {
		return target{}, err
	}
	if uint64(tip) <= latest+1 {
		return current, nil
	}
	fctx, cancel := context.WithTimeout(ctx, 2*callTimeout)
	defer cancel()
	h, err := bridge.FetchHeader(fctx, other.cl.RPC(), 0, int64(latest))
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
	return target{height: height, time: sp.Header.Time, update: &bridge.MsgUpdateClient{Relayer: holder.addr, ClientId: holder.ClientID, Header: *h}}, nil
}

// proofWorkers bounds the queries a relayer has in flight against one node: proofs
// are one abci_query each, and fetching a batch's one by one cost more than the
// batch's block.
const proofWorkers = 8

// parallel runs f for 0..n-1 on up to proofWorkers goroutines and returns the
// results in order, or the first error.
func parallel[T any](ctx context.Context, n int, f func(ctx context.Context, i int) (T, error)) ([]T, error) {
	out := make([]T, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for range min(n, proofWorkers) {
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
