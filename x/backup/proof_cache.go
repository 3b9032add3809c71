package backup

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// proofCacheSize bounds the remembered proof checks: more than a full block's
// proofs (a 21 MiB block holds about 11,000) plus a mempool's backlog. An
// entry holds a copy of its proof (~2 KB for a 4 GiB backup, at most ~5 KB), so
// a full cache is tens of MB; entries are dropped once used.
const proofCacheSize = 20_000

// proofCache remembers storage-proof checks that passed, so a proof checked on
// admission (CheckTx) is not checked again when a block executes it. StorageProof.Verify is a pure function of the
// challenge's root, chunk count, chunk index and seed and of the proof's bytes;
// an entry holds all of them and a hit requires every one to be byte-equal, so
// a hit means the very same check passed before: no outcome depends on what
// the cache holds, nor on when it was filled. Failed checks are not kept (the
// block recomputes them, with their specific errors). Bounded, FIFO eviction;
// safe for concurrent use.
type proofCache struct {
	mu    sync.Mutex
	max   int
	byKey map[proofKey]*proofEntry
	order []proofKey // ring of keys in insertion order
	next  int
	// computed counts the proof checks actually computed (not answered from
	// here): tests prove a proof is checked once per node.
	computed atomic.Uint64
}

// proofKey locates an entry; the entry itself decides whether it matches.
type proofKey struct{ agreement, chunk uint64 }

// proofEntry is one passed check: its inputs, the proof packed in one buffer
// (chunk leaf ‖ segment ‖ segment path ‖ manifest path; a passed proof's path
// hashes are all hashSize bytes).
type proofEntry struct {
	root, seed  []byte
	chunkCount  uint64
	segLen      int
	segPath     int // number of hashes
	manPath     int
	packedProof []byte
}

func newProofCache(max int) *proofCache {
	return &proofCache{max: max, byKey: map[proofKey]*proofEntry{}}
}

// sameProof reports whether m carries exactly the proof e was computed for.
func (e *proofEntry) sameProof(m *MsgProveStorage) bool {
	if len(m.ChunkLeaf) != ChunkLeafSize || len(m.Segment) != e.segLen ||
		len(m.SegmentPath) != e.segPath || len(m.ManifestPath) != e.manPath {
		return false
	}
	b := e.packedProof
	if !bytes.Equal(b[:ChunkLeafSize], m.ChunkLeaf) {
		return false
	}
	b = b[ChunkLeafSize:]
	if !bytes.Equal(b[:e.segLen], m.Segment) {
		return false
	}
	b = b[e.segLen:]
	for _, path := range [2][][]byte{m.SegmentPath, m.ManifestPath} {
		for _, h := range path {
			if !bytes.Equal(b[:hashSize], h) {
				return false
			}
			b = b[hashSize:]
		}
	}
	return true
}

// sameChallenge reports whether e was checked against ch's inputs.
func (e *proofEntry) sameChallenge(ch *Challenge) bool {
	return e.chunkCount == ch.ChunkCount && bytes.Equal(e.root, ch.Root) && bytes.Equal(e.seed, ch.Seed)
}

// seen is a hint for admission: whether a check of this very proof for this
// agreement and chunk passed recently (against which challenge is left to
// passed, which execution asks). No state is read.
func (c *proofCache) seen(m *MsgProveStorage) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[proofKey{m.AgreementId, m.ChunkIndex}]
	return ok && e.sameProof(m)
}

// passed reports whether m's proof passed StorageProof.Verify against ch's
// inputs before, and forgets the check (a challenge is answered once).
func (c *proofCache) passed(ch *Challenge, m *MsgProveStorage) bool {
	if c == nil {
		return false
	}
	key := proofKey{ch.AgreementId, ch.ChunkIndex}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok || m.ChunkIndex != ch.ChunkIndex || !e.sameChallenge(ch) || !e.sameProof(m) {
		return false
	}
	delete(c.byKey, key) // its ring slot goes stale; eviction of a stale key is a no-op
	return true
}

// add remembers that m's proof passed against ch's inputs. It copies what it
// keeps: nothing later done to m or ch can change an entry.
func (c *proofCache) add(ch *Challenge, m *MsgProveStorage) {
	if c == nil || len(m.ChunkLeaf) != ChunkLeafSize {
		return
	}
	n := ChunkLeafSize + len(m.Segment) + hashSize*(len(m.SegmentPath)+len(m.ManifestPath))
	buf := make([]byte, 0, n+len(ch.Root)+len(ch.Seed))
	buf = append(buf, m.ChunkLeaf...)
	buf = append(buf, m.Segment...)
	for _, path := range [2][][]byte{m.SegmentPath, m.ManifestPath} {
		for _, h := range path {
			if len(h) != hashSize {
				return // not a proof that passed
			}
			buf = append(buf, h...)
		}
	}
	buf = append(buf, ch.Root...)
	buf = append(buf, ch.Seed...)
	e := &proofEntry{
		packedProof: buf[:n], root: buf[n : n+len(ch.Root)], seed: buf[n+len(ch.Root):],
		chunkCount: ch.ChunkCount, segLen: len(m.Segment), segPath: len(m.SegmentPath), manPath: len(m.ManifestPath),
	}
	key := proofKey{ch.AgreementId, ch.ChunkIndex}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; !ok {
		if len(c.order) < c.max {
			c.order = append(c.order, key)
		} else {
			// The oldest slot's key may have been used and added again since:
			// then a newer entry goes early, which costs a recomputed check only.
			delete(c.byKey, c.order[c.next])
			c.order[c.next] = key
			c.next = (c.next + 1) % c.max
		}
	}
	c.byKey[key] = e
}

func (c *proofCache) count() {
	if c != nil {
		c.computed.Add(1)
	}
}

// size is how many checks are remembered (tests).
func (c *proofCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}
