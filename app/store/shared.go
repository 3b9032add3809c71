package store

import (
	"sync"
	"sync/atomic"

	dbm "github.com/cosmos/cosmos-db"
)

// SharedAt returns a read-only root branch of committed version that many goroutines
// may branch at once (Branch on it, then read and write the nested branches, each
// owned by one goroutine). Nothing may be written to the root itself.
//
// The app mempool admits on every core against the last committed state: a BranchAt
// per tx loaded each store's IAVL root from the database again (GetImmutable) and
// walked the tree for every read, the same account read two or three times per tx.
// Here the trees are loaded once and reads are remembered, up to maxReads keys over
// all stores (0: 100,000), in a cache that lives as long as the branch. A version's
// data never changes, so a remembered read is the read.
//
// When the store tracked every write of the commit of version (TrackWrites), the
// root starts knowing them (the block's writes are what admission reads next: its
// senders' and recipients' accounts and balances), and prev, a SharedAt root of
// version-1 (or nil), hands on what it remembered: every key the commit did not
// write has the same value in both versions. Otherwise the root starts empty.
func (ms *MultiStore) SharedAt(version int64, maxReads int, prev *Branch) (*Branch, error) {
	br, err := ms.BranchAt(version)
	if err != nil {
		return nil, err
	}
	if maxReads <= 0 {
		maxReads = 100_000
	}
	ms.mu.RLock()
	changed := ms.changed
	ms.mu.RUnlock()
	known := changed.version == version && changed.keys != nil
	carry := known && prev != nil && prev.version == version-1
	room := &readRoom{left: int64(maxReads)} // shared by the stores: admission reads mostly two
	for i, b := range br.bases {
		if v, ok := b.(*versionTree); ok {
			// Loaded now, while one goroutine holds the branch: load is not safe
			// for concurrent first use.
			if _, err := v.load(); err != nil {
				return nil, err
			}
			rc := &readCache{base: v, room: room}
			if known {
				rc.seed(changed.keys[i])
			}
			if old, ok := prev.baseAt(i).(*readCache); ok && carry {
				rc.carry(old, changed.keys[i])
			}
			br.bases[i] = rc
		}
		br.cache(i) // wired now: nested branches then only read the root's fields
	}
	return br, nil
}

func (b *Branch) baseAt(i int) baseStore {
	if b == nil || i >= len(b.bases) {
		return nil
	}
	return b.bases[i]
}

// TrackWrites makes the working trees record which keys each commit writes, so that
// SharedAt can hand a version's remembered reads on to the next. The first commit
// after the call is not fully tracked and hands nothing on. Call it before blocks
// are executed, on the goroutine that executes them.
func (ms *MultiStore) TrackWrites() { ms.track = true }

// changedKeys are the keys each store's commit of version wrote, with their values
// (nil: removed); keys nil: not known.
type changedKeys struct {
	version int64
	keys    []map[string][]byte
}

// takeWrites collects the working trees' writes of the commit of version and
// starts recording the next block's (consensus goroutine, in Commit).
func (ms *MultiStore) takeWrites(version int64) changedKeys {
	if !ms.track {
		return changedKeys{}
	}
	out := changedKeys{version: version, keys: make([]map[string][]byte, len(ms.bases))}
	for i, b := range ms.bases {
		w, ok := b.(*workingTree)
		if !ok || w.writes == nil {
			out.keys = nil // a tree replaced (state sync) or just tracked: not known
		} else if out.keys != nil {
			out.keys[i] = w.writes
		}
		if ok {
			w.writes = make(map[string][]byte)
		}
	}
	return out
}

// readRoom counts the entries a SharedAt root may still remember.
type readRoom struct{ left int64 }

func (r *readRoom) take() bool { return atomic.AddInt64(&r.left, -1) >= 0 }

// readShards spreads a readCache's lock over the cores.
const readShards = 16

// readCache remembers a read-only base's reads (absent keys too), for SharedAt.
type readCache struct {
	base   baseStore
	room   *readRoom // entries left over all stores; when none, reads are not remembered
	shards [readShards]readShard
}

type readShard struct {
	mu sync.Mutex
	m  map[string][]byte // nil value: absent
}

func (c *readCache) shard(key []byte) *readShard { return c.shardOf(string(key)) }

func (c *readCache) shardOf(key string) *readShard {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return &c.shards[h%readShards]
}

func (c *readCache) get(key []byte) ([]byte, error) {
	s := c.shard(key)
	s.mu.Lock()
	v, ok := s.m[string(key)]
	s.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := c.base.get(key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	if _, ok := s.m[string(key)]; !ok && c.room.take() {
		s.m[string(key)] = v
	}
	s.mu.Unlock()
	return v, nil
}

// seed remembers the values a commit wrote, within c's bound.
func (c *readCache) seed(written map[string][]byte) {
	for k, v := range written {
		s := c.shardOf(k)
		if s.m == nil {
			s.m = make(map[string][]byte)
		}
		if !c.room.take() {
			return
		}
		s.m[k] = v
	}
}

// carry copies old's entries whose keys are not in changed (the next version's
// writes), within c's bound.
func (c *readCache) carry(old *readCache, changed map[string][]byte) {
	for i := range old.shards {
		o, n := &old.shards[i], &c.shards[i] // same key, same shard
		o.mu.Lock()
		for k, v := range o.m {
			if _, ok := changed[k]; ok {
				continue
			}
			if !c.room.take() {
				break
			}
			if n.m == nil {
				n.m = make(map[string][]byte, len(o.m))
			}
			n.m[k] = v
		}
		o.mu.Unlock()
	}
}

func (c *readCache) has(key []byte) (bool, error) {
	v, err := c.get(key)
	return v != nil, err
}

// iterator is not cached: range reads are rare on the admission path.
func (c *readCache) iterator(start, end []byte, ascending bool) (dbm.Iterator, error) {
	return c.base.iterator(start, end, ascending)
}
