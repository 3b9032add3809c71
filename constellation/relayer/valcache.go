package relayer

import (
	"bytes"
	"context"
	"sync"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// valCache is a chain's header source for client updates (bridge.HeaderSource)
// that remembers validator sets by hash: an update needs the set at its height and
// the set its trusted height names as next, which are nearly always the same set
// the previous update fetched — two queries of ~10 KB (4 ML-DSA-65 keys) on every
// hop otherwise. A commit tells the hash of the set at its height and the next; a
// set is cached only when it hashes to what a commit said, and the chain verifies
// every update anyway, so a cache can cost a failed tx, never a forged one.
type valCache struct {
	*rpchttp.HTTP
	mu     sync.Mutex
	hashAt map[int64][]byte                    // validators hash at a height, from commits
	sets   map[string]*ctypes.ResultValidators // by hash: complete sets (one page)
}

// valCacheHeights bounds the heights and sets remembered.
const valCacheHeights = 256

func newValCache(h *rpchttp.HTTP) *valCache {
	return &valCache{HTTP: h, hashAt: map[int64][]byte{}, sets: map[string]*ctypes.ResultValidators{}}
}

// Commit notes the hashes of the sets at the commit's height and the next.
func (v *valCache) Commit(ctx context.Context, height *int64) (*ctypes.ResultCommit, error) {
	res, err := v.HTTP.Commit(ctx, height)
	if err != nil || res.SignedHeader.Header == nil {
		return res, err
	}
	h := res.SignedHeader.Header
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.hashAt) >= valCacheHeights {
		for k := range v.hashAt {
			if k < h.Height-valCacheHeights/2 {
				delete(v.hashAt, k)
			}
		}
	}
	v.hashAt[h.Height] = h.ValidatorsHash
	v.hashAt[h.Height+1] = h.NextValidatorsHash
	return res, nil
}

// Validators answers from the cache when a commit named the set at height and
// the set is cached; otherwise it asks, and caches a complete set whose hash is the
// one a commit named.
func (v *valCache) Validators(ctx context.Context, height *int64, page, perPage *int) (*ctypes.ResultValidators, error) {
	first := page == nil || *page == 1
	var want []byte
	if height != nil && first {
		v.mu.Lock()
		want = v.hashAt[*height]
		if set, ok := v.sets[string(want)]; ok && want != nil {
			v.mu.Unlock()
			out := *set
			out.BlockHeight = *height
			return &out, nil
		}
		v.mu.Unlock()
	}
	res, err := v.HTTP.Validators(ctx, height, page, perPage)
	if err != nil || want == nil || len(res.Validators) != res.Total {
		return res, err
	}
	if got := cmttypes.NewValidatorSet(res.Validators).Hash(); bytes.Equal(got, want) {
		v.mu.Lock()
		if len(v.sets) >= 8 {
			clear(v.sets) // sets change rarely: a handful is plenty
		}
		v.sets[string(want)] = res
		v.mu.Unlock()
	}
	return res, nil
}
