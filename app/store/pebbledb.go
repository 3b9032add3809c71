package store

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cosmos/cosmos-db"
)

// The errors cosmos-db's adapters return, with the same text (its own are unexported).
var (
	errKeyEmpty    = errors.New("key cannot be empty")
	errValueNil    = errors.New("value cannot be nil")
	errBatchClosed = errors.New("batch has been written or closed")
	errDBClosed    = errors.New("store: pebble db is closed")
)

// PebbleDB is the state database on pebble: cosmos-db's PebbleDB (same directory
// <name>.db, same keys, same pebble format, so either adapter opens the other's
// homes) with a block cache sized by the node instead of pebble's 8 MB default.
// IAVL reads its nodes back through Get, and each miss in the block cache reads and
// decompresses a whole sstable block again.
type PebbleDB struct {
	db *pebble.DB
	// closed turns the calls after Close into errors (pebble would panic); atomic
	// because queries may still be reading while the node shuts down.
	closed atomic.Bool
}

var _ dbm.DB = (*PebbleDB)(nil)

// NewPebbleDB opens (creating if needed) the pebble database <dir>/<name>.db with a
// block cache of cacheBytes (DefaultDBCacheBytes when 0).
func NewPebbleDB(name, dir string, cacheBytes int64) (*PebbleDB, error) {
	return newPebbleDB(name, dir, cacheBytes, 0)
}

// newPebbleDB is NewPebbleDB with a memtable size (pebble's 4 MB default when 0).
func newPebbleDB(name, dir string, cacheBytes, memTableBytes int64) (*PebbleDB, error) {
	if cacheBytes < 0 {
		return nil, fmt.Errorf("store: negative pebble block cache size %d", cacheBytes)
	}
	if cacheBytes == 0 {
		cacheBytes = DefaultDBCacheBytes
	}
	cache := pebble.NewCache(cacheBytes)
	// pebble takes its own reference; ours goes when Open returns.
	defer cache.Unref()
	o := &pebble.Options{
		Cache:  cache,
		Logger: quietLogger{},
		// As cosmos-db: pebble's default is one compaction at a time.
		MaxConcurrentCompactions: func() int { return 3 },
	}
	if memTableBytes > 0 {
		o.MemTableSize = uint64(memTableBytes)
	}
	// Defaults as cosmos-db's (it calls EnsureDefaults too): in particular the
	// FormatMajorVersion stays FormatMostCompatible, so its adapter and older
	// binaries keep opening homes this one wrote.
	o.EnsureDefaults()
	p, err := pebble.Open(filepath.Join(dir, name+dbm.DBFileSuffix), o)
	if err != nil {
		return nil, err
	}
	return &PebbleDB{db: p}, nil
}

// DB is the underlying pebble handle (metrics, tests).
func (db *PebbleDB) DB() *pebble.DB { return db.db }

// Get implements dbm.DB: nil for a missing key; the value is a copy.
func (db *PebbleDB) Get(key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, errKeyEmpty
	}
	if db.closed.Load() {
		return nil, errDBClosed
	}
	res, closer, err := db.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return cp(res), nil
}

// cp copies b into a new, never nil slice: pebble reuses b's memory once its
// closer runs, and a stored empty value must read back as []byte{} (nil means missing).
func cp(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

// Has implements dbm.DB.
func (db *PebbleDB) Has(key []byte) (bool, error) {
	bz, err := db.Get(key)
	if err != nil {
		return false, err
	}
	return bz != nil, nil
}

// Set implements dbm.DB.
func (db *PebbleDB) Set(key, value []byte) error { return db.set(key, value, pebble.NoSync) }

// SetSync implements dbm.DB.
func (db *PebbleDB) SetSync(key, value []byte) error { return db.set(key, value, pebble.Sync) }

func (db *PebbleDB) set(key, value []byte, wo *pebble.WriteOptions) error {
	if len(key) == 0 {
		return errKeyEmpty
	}
	if value == nil {
		return errValueNil
	}
	if db.closed.Load() {
		return errDBClosed
	}
	return db.db.Set(key, value, wo)
}

// Delete implements dbm.DB.
func (db *PebbleDB) Delete(key []byte) error { return db.del(key, pebble.NoSync) }

// DeleteSync implements dbm.DB.
func (db *PebbleDB) DeleteSync(key []byte) error { return db.del(key, pebble.Sync) }

func (db *PebbleDB) del(key []byte, wo *pebble.WriteOptions) error {
	if len(key) == 0 {
		return errKeyEmpty
	}
	if db.closed.Load() {
		return errDBClosed
	}
	return db.db.Delete(key, wo)
}

// Close implements dbm.DB. A second Close is a no-op (pebble panics on it).
func (db *PebbleDB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	return db.db.Close()
}

// Print implements dbm.DB.
func (db *PebbleDB) Print() error {
	itr, err := db.Iterator(nil, nil)
	if err != nil {
		return err
	}
	defer itr.Close()
	for ; itr.Valid(); itr.Next() {
		fmt.Printf("[%X]:\t[%X]\n", itr.Key(), itr.Value())
	}
	return itr.Error()
}

// Stats implements dbm.DB: pebble's metrics summary and the block cache's use.
func (db *PebbleDB) Stats() map[string]string {
	if db.closed.Load() {
		return nil
	}
	m := db.db.Metrics()
	return map[string]string{
		"pebble.metrics":           m.String(),
		"pebble.block-cache.size":  fmt.Sprint(m.BlockCache.Size),
		"pebble.block-cache.hits":  fmt.Sprint(m.BlockCache.Hits),
		"pebble.block-cache.miss":  fmt.Sprint(m.BlockCache.Misses),
		"pebble.disk-space-usage":  fmt.Sprint(m.DiskSpaceUsage()),
		"pebble.table-cache.count": fmt.Sprint(m.TableCache.Count),
	}
}

// NewBatch implements dbm.DB.
func (db *PebbleDB) NewBatch() dbm.Batch { return &pebbleBatch{db: db, batch: db.db.NewBatch()} }

// NewBatchWithSize implements dbm.DB (pebble grows its batches itself).
func (db *PebbleDB) NewBatchWithSize(int) dbm.Batch { return db.NewBatch() }

// Iterator implements dbm.DB: keys in [start, end), nil meaning unbounded.
func (db *PebbleDB) Iterator(start, end []byte) (dbm.Iterator, error) {
	return db.newIterator(start, end, false)
}

// ReverseIterator implements dbm.DB: keys in [start, end), largest first.
func (db *PebbleDB) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	return db.newIterator(start, end, true)
}

func (db *PebbleDB) newIterator(start, end []byte, reverse bool) (dbm.Iterator, error) {
	if (start != nil && len(start) == 0) || (end != nil && len(end) == 0) {
		return nil, errKeyEmpty
	}
	if db.closed.Load() {
		return nil, errDBClosed
	}
	// pebble keeps the bound slices for the iterator's life: copy them so a
	// caller reusing its buffers cannot move them.
	start, end = cloneOrNil(start), cloneOrNil(end)
	src, err := db.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return nil, err
	}
	if reverse {
		src.Last()
	} else {
		src.First()
	}
	return &pebbleIterator{src: src, start: start, end: end, reverse: reverse}, nil
}

func cloneOrNil(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

// quietLogger drops pebble's info logs (they would interleave with the node's) and
// keeps its fatal path, as cosmos-db's fatalLogger does.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}

func (quietLogger) Fatalf(format string, args ...interface{}) {
	pebble.DefaultLogger.Fatalf(format, args...)
}

// Compact compacts the keys in [start, end] (nil: from the first or to the last
// key). CometBFT calls it after pruning blocks when compaction is enabled.
func (db *PebbleDB) Compact(start, end []byte) error {
	if db.closed.Load() {
		return errDBClosed
	}
	if start == nil || end == nil {
		// pebble has no open-ended compaction: bound it by the first and last keys.
		it, err := db.db.NewIter(nil)
		if err != nil {
			return err
		}
		if start == nil && it.First() {
			start = bytes.Clone(it.Key())
		}
		if end == nil && it.Last() {
			end = append(bytes.Clone(it.Key()), 0) // end is exclusive
		}
		if err := it.Close(); err != nil {
			return err
		}
		if start == nil || end == nil {
			return nil // empty
		}
	}
	if bytes.Compare(start, end) >= 0 {
		return nil
	}
	return db.db.Compact(start, end, true)
}
