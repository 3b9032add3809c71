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
	order []sigCacheEntry
	next  int
	// txs holds the tx hashes of the remembered checks, so a block's parallel
	// pre-pass can skip a tx CheckTx already verified without reading the
	// signer's account and key again to build the full key (SeenTx).
	txs map[[32]byte]struct{}
	// verified counts the signature checks actually computed (cache misses that
	// passed or failed): tests prove a tx is verified once per node.
	verified atomic.Uint64
	// onVerify, if set, is called once per computed check (the node's metric).
	onVerify func()
}

func NewSigCache(max int) *SigCache {
	if max <= 0 {
		max = 100_000
	}
	return &SigCache{max: max, set: make(map[[32]byte]struct{}, max), txs: make(map[[32]byte]struct{}, max)}
}

// sigCacheEntry is one remembered check: its key and its tx's hash.
type sigCacheEntry struct{ key, tx [32]byte }

// SeenTx reports whether a check of the tx with this hash passed recently. It is
// a hint: the same tx with another account number or key is a different check,
// which the caller makes in full (VerifyTxSignature) whatever SeenTx says.
func (c *SigCache) SeenTx(hash [32]byte) bool {
	c.mu.Lock()
	_, ok := c.txs[hash]
	c.mu.Unlock()
	return ok
}

// sigKeyBufSize holds a hybrid key's inputs on the stack (~2.1 KB); larger
// inputs (SLH-DSA keys are small; only an oversized chain id) spill to the heap.
const sigKeyBufSize = 2304

func sigCacheKey(chainID string, txHash [32]byte, accNum uint64, pub crypto.PubKey) [32]byte {
	// sha256 of txHash ‖ accNum (8, big-endian) ‖ chainID ‖ 0 ‖ type ‖ 0 ‖ key,
	// built in one buffer: sha256.New and pub.Bytes() each allocated per tx.
	var arr [sigKeyBufSize]byte
	b := append(arr[:0], txHash[:]...)
	b = binary.BigEndian.AppendUint64(b, accNum)
	b = append(b, chainID...)
	b = append(b, 0)
	b = append(b, pub.Type()...)
	b = append(b, 0)
	b = crypto.AppendPubKeyBytes(b, pub)
	return sha256.Sum256(b)
}

func (c *SigCache) has(k [32]byte) bool {
	c.mu.Lock()
	_, ok := c.set[k]
	c.mu.Unlock()
	return ok
}

func (c *SigCache) add(k, txHash [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[k]; ok {
		return
	}
	e := sigCacheEntry{key: k, tx: txHash}
	if len(c.order) < c.max {
		c.order = append(c.order, e)
	} else {
		old := c.order[c.next]
		delete(c.set, old.key)
		delete(c.txs, old.tx) // another check of the same tx may remain: SeenTx is only a hint
		c.order[c.next] = e
		c.next = (c.next + 1) % c.max
	}
	c.set[k] = struct{}{}
	c.txs[txHash] = struct{}{}
}

// OnVerify registers f, called once per computed check (with Verified), for a
// metric. Set it before the cache is shared: it is read without a lock.
func (c *SigCache) OnVerify(f func()) { c.onVerify = f }

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
		if c.onVerify != nil {
			c.onVerify()
		}
	}
	signBz, err := SignBytes(chainID, accNum, t.Raw.BodyBytes, t.Raw.AuthInfoBytes)
	if err != nil || !pub.VerifySignature(signBz, t.Raw.Signatures[0]) {
		return false
	}
	if c != nil {
		c.add(k, t.Hash)
	}
	return true
}
