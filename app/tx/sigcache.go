package tx

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/selfchain/selfchain/crypto"
)

// SigCache remembers signature checks that passed, so a tx verified in CheckTx
// (or in the parallel pre-pass of a block) is not verified again. The key binds
// every input of the check — tx hash (body, auth info, signature), account number,
// chain id and public key — so a hit means the very same check passed before and
// the outcome never depends on what the cache holds. Bounded, FIFO eviction.
type SigCache struct {
	mu    sync.Mutex
	max   int
	set   map[[32]byte]struct{}
	order [][32]byte
	next  int
	// verified counts the signature checks actually computed (cache misses that
	// passed or failed): tests prove a tx is verified once per node.
	verified atomic.Uint64
}

func NewSigCache(max int) *SigCache {
	if max <= 0 {
		max = 100_000
	}
	return &SigCache{max: max, set: make(map[[32]byte]struct{}, max)}
}

func sigCacheKey(chainID string, txHash [32]byte, accNum uint64, pub crypto.PubKey) [32]byte {
	h := sha256.New()
	h.Write(txHash[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], accNum)
	h.Write(n[:])
	h.Write([]byte(chainID))
	h.Write([]byte{0})
	h.Write([]byte(pub.Type()))
	h.Write([]byte{0})
	h.Write(pub.Bytes())
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *SigCache) has(k [32]byte) bool {
	c.mu.Lock()
	_, ok := c.set[k]
	c.mu.Unlock()
	return ok
}

func (c *SigCache) add(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[k]; ok {
		return
	}
	if len(c.order) < c.max {
		c.order = append(c.order, k)
	} else {
		delete(c.set, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % c.max
	}
	c.set[k] = struct{}{}
}

// Verified is how many signature checks were computed (not answered from the cache).
func (c *SigCache) Verified() uint64 { return c.verified.Load() }

// Len reports how many verified checks are remembered.
func (c *SigCache) Len() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.set) }

// VerifyTxSignature checks t's signature by pub for accNum on chainID, consulting
// and filling the cache (c may be nil: no caching).
func VerifyTxSignature(c *SigCache, chainID string, accNum uint64, pub crypto.PubKey, t *Tx) bool {
	var k [32]byte
	if c != nil {
		k = sigCacheKey(chainID, t.Hash, accNum, pub)
		if c.has(k) {
			return true
		}
	}
	if c != nil {
		c.verified.Add(1)
	}
	signBz, err := SignBytes(chainID, accNum, t.Raw.BodyBytes, t.Raw.AuthInfoBytes)
	if err != nil || !pub.VerifySignature(signBz, t.Raw.Signatures[0]) {
		return false
	}
	if c != nil {
		c.add(k)
	}
	return true
}
