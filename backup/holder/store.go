package holder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/cockroachdb/pebble"

	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/x/backup"
)

// Store is the holder's pebble database. Layout (agreement ids 8-byte
// big-endian, so one agreement's keys are contiguous):
//
//	m/<agreement>/<id>   kind ‖ chunk leaf     (the inventory, small)
//	d/<agreement>/<id>   ciphertext            (stores written before chunk files; read, never written)
//	u/<agreement>        bytes used            (checked against the quota)
//	l/<agreement>/<root> sorted chunk ids       (a manifest the owner announced)
//
// Chunk ciphertext lives in files beside it (see blobs).
type Store struct {
	db    *pebble.DB
	blobs *blobs
	mu    sync.Mutex // serialises quota accounting
	// reserved is the bytes of uploads being written, counted against the
	// quota before their files are written (outside mu).
	reserved map[uint64]uint64
	// ids serialises the file write and the record of one chunk id (two
	// uploads of one id, or an upload and a collection, must not interleave).
	ids [64]sync.Mutex
}

// ErrQuota is returned when a chunk would take an agreement over its quota.
var ErrQuota = errors.New("quota exceeded")

// ErrNoChunk is returned for a chunk the holder does not have.
var ErrNoChunk = errors.New("chunk not stored")

// OpenStore opens (or creates) the database in dir.
func OpenStore(dir string) (*Store, error) {
	// Ciphertext does not compress: skip the compressor; a larger memtable
	// flushes megabyte chunks less often.
	opts := &pebble.Options{MemTableSize: 64 << 20, Logger: quietLogger{}}
	opts.Levels = make([]pebble.LevelOptions, 7)
	for i := range opts.Levels {
		opts.Levels[i].Compression = pebble.NoCompression
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, err
	}
	bl, err := openBlobs(filepath.Join(dir, "chunks"))
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, blobs: bl, reserved: map[uint64]uint64{}}, nil
}

// quietLogger drops pebble's routine messages (WAL replay on every start).
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	pebble.DefaultLogger.Fatalf(format, args...)
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func key(prefix byte, agreement uint64, rest []byte) []byte {
	k := make([]byte, 0, 2+8+1+len(rest))
	k = append(k, prefix, '/')
	k = binary.BigEndian.AppendUint64(k, agreement)
	if rest != nil {
		k = append(k, '/')
		k = append(k, rest...)
	}
	return k
}

func (s *Store) get(k []byte) ([]byte, error) {
	v, c, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNoChunk
	}
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return bytes.Clone(v), nil
}

// Used returns the bytes stored for an agreement.
func (s *Store) Used(agreement uint64) (uint64, error) {
	v, err := s.get(key('u', agreement, nil))
	if errors.Is(err, ErrNoChunk) {
		return 0, nil
	}
	if err != nil || len(v) != 8 {
		return 0, fmt.Errorf("usage record of agreement %d: %v", agreement, err)
	}
	return binary.BigEndian.Uint64(v), nil
}

// Put stores a chunk's ciphertext, whose leaf (backup.ChunkLeafOf) the
// caller computed, if it fits the quota (replacing an older copy of the
// same id). It returns the bytes added.
//
// The quota is checked (and the bytes reserved) first, the chunk file is
// written and synced without holding the store's lock (uploads write in
// parallel), and the inventory record is committed with a synced write
// last: an acknowledged chunk survives a crash.
func (s *Store) Put(agreement uint64, id wire.ID, kind wire.Kind, ciphertext, leaf []byte, quota uint64) (int64, error) {
	idm := &s.ids[id[0]%uint8(len(s.ids))]
	idm.Lock()
	defer idm.Unlock()
	size := uint64(len(ciphertext))
	if _, _, err := s.account(agreement, id, size, quota, true); err != nil {
		return 0, err
	}
	werr := s.blobs.put(agreement, id, ciphertext)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reserved[agreement] -= size
	if s.reserved[agreement] == 0 {
		delete(s.reserved, agreement)
	}
	if werr != nil {
		return 0, werr
	}
	used, newUsed, err := s.account(agreement, id, size, quota, false)
	if err != nil {
		// Cannot happen while every upload reserves before it writes; if it
		// did, the file no longer matches an older record of this id: drop
		// both, and the owner's next run uploads the chunk again.
		return 0, errors.Join(err, s.forget(agreement, id))
	}
	b := s.db.NewBatch()
	defer b.Close()
	_ = b.Delete(key('d', agreement, id[:]), nil) // an older store's copy, now in the file
	_ = b.Set(key('m', agreement, id[:]), append([]byte{byte(kind)}, leaf...), nil)
	_ = b.Set(key('u', agreement, nil), binary.BigEndian.AppendUint64(nil, newUsed), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return 0, err
	}
	return int64(newUsed) - int64(used), nil
}

// forget removes a chunk's record, usage and file (the caller holds mu and
// the id's lock).
func (s *Store) forget(agreement uint64, id wire.ID) error {
	used, err := s.Used(agreement)
	if err != nil {
		return err
	}
	if m, err := s.get(key('m', agreement, id[:])); err == nil && len(m) == 1+backup.ChunkLeafSize {
		used -= min(used, binary.BigEndian.Uint64(m[1:]))
	}
	b := s.db.NewBatch()
	defer b.Close()
	_ = b.Delete(key('m', agreement, id[:]), nil)
	_ = b.Delete(key('d', agreement, id[:]), nil)
	_ = b.Set(key('u', agreement, nil), binary.BigEndian.AppendUint64(nil, used), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	return s.blobs.remove(agreement, id)
}

// account checks that a chunk of size bytes replacing any stored copy of id
// fits the quota, counting the uploads being written. With reserve it takes
// the store's lock and reserves size; without, the caller holds the lock.
func (s *Store) account(agreement uint64, id wire.ID, size, quota uint64, reserve bool) (used, newUsed uint64, err error) {
	if reserve {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	if used, err = s.Used(agreement); err != nil {
		return 0, 0, err
	}
	var old uint64
	if m, err := s.get(key('m', agreement, id[:])); err == nil && len(m) == 1+backup.ChunkLeafSize {
		old = binary.BigEndian.Uint64(m[1:])
	}
	newUsed = used - min(used, old) + size
	if newUsed+s.reserved[agreement] > quota {
		return 0, 0, fmt.Errorf("%w: %d bytes used + %d new > quota %d", ErrQuota, used-min(used, old)+s.reserved[agreement], size, quota)
	}
	if reserve {
		s.reserved[agreement] += size
	}
	return used, newUsed, nil
}

// Get returns a chunk's ciphertext.
func (s *Store) Get(agreement uint64, id wire.ID) ([]byte, error) {
	b, err := s.blobs.get(agreement, id)
	if errors.Is(err, fs.ErrNotExist) {
		return s.get(key('d', agreement, id[:])) // written by an older holder
	}
	return b, err
}

// Open returns a stored chunk's ciphertext as a reader and its length, for
// serving without copying it through memory (sendfile on Linux).
func (s *Store) Open(agreement uint64, id wire.ID) (io.ReadCloser, int64, error) {
	f, n, err := s.blobs.open(agreement, id)
	if errors.Is(err, fs.ErrNotExist) {
		b, err := s.get(key('d', agreement, id[:]))
		if err != nil {
			return nil, 0, err
		}
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	}
	if err != nil {
		return nil, 0, err
	}
	return f, n, nil
}

// Inventory lists an agreement's chunks in id order.
func (s *Store) Inventory(agreement uint64) ([]wire.Entry, error) {
	lo := key('m', agreement, []byte{})
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: key('m', agreement+1, []byte{})})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []wire.Entry
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != len(lo)+wire.IDSize || len(v) != 1+backup.ChunkLeafSize {
			continue
		}
		var e wire.Entry
		copy(e.ID[:], k[len(lo):])
		e.Kind = wire.Kind(v[0])
		e.Leaf = bytes.Clone(v[1:])
		out = append(out, e)
	}
	return out, it.Error()
}

// leaf returns a stored chunk's leaf.
func (s *Store) leaf(agreement uint64, id wire.ID) ([]byte, error) {
	m, err := s.get(key('m', agreement, id[:]))
	if err != nil {
		return nil, err
	}
	return m[1:], nil
}

// SetManifest records a sorted id list the owner announced, after checking
// that every chunk is here; it returns the root of their stored leaves.
func (s *Store) SetManifest(agreement uint64, ids []wire.ID) ([]byte, error) {
	leaves := make([][]byte, len(ids))
	for i, id := range ids {
		l, err := s.leaf(agreement, id)
		if err != nil {
			return nil, fmt.Errorf("chunk %s: %w", id, err)
		}
		leaves[i] = l
	}
	root := wire.Root(leaves)
	if err := s.db.Set(key('l', agreement, root), wire.EncodeIDs(ids), pebble.Sync); err != nil {
		return nil, err
	}
	return root, nil
}

// Manifest returns the chunks of the id list recorded for root, in order.
func (s *Store) Manifest(agreement uint64, root []byte) ([]wire.Entry, error) {
	v, err := s.get(key('l', agreement, root))
	if err != nil {
		return nil, fmt.Errorf("manifest %x: %w", root, err)
	}
	ids, err := wire.DecodeIDs(v)
	if err != nil {
		return nil, err
	}
	es := make([]wire.Entry, len(ids))
	for i, id := range ids {
		m, err := s.get(key('m', agreement, id[:]))
		if err != nil {
			return nil, fmt.Errorf("chunk %s of manifest %x: %w", id, root, err)
		}
		es[i] = wire.Entry{ID: id, Kind: wire.Kind(m[0]), Leaf: m[1:]}
	}
	return es, nil
}

// Collect deletes the chunks (and manifest lists) of an agreement that the
// current on-chain manifest no longer names but the previous one did:
// chunks uploaded since, for a revision not yet committed, stay.
func (s *Store) Collect(agreement uint64, prevRoot, root []byte) (int, error) {
	prev, err := s.Manifest(agreement, prevRoot)
	if err != nil {
		return 0, nil // nothing recorded for the previous root: nothing to collect
	}
	cur, err := s.Manifest(agreement, root)
	if err != nil {
		return 0, err
	}
	keep := make(map[wire.ID]bool, len(cur))
	for _, e := range cur {
		keep[e.ID] = true
	}
	s.mu.Lock()
	used, err := s.Used(agreement)
	if err != nil {
		s.mu.Unlock()
		return 0, err
	}
	b := s.db.NewBatch()
	defer b.Close()
	n := 0
	var gone []wire.ID
	for _, e := range prev {
		id := e.ID
		if keep[id] {
			continue
		}
		used -= min(used, binary.BigEndian.Uint64(e.Leaf))
		_ = b.Delete(key('d', agreement, id[:]), nil)
		_ = b.Delete(key('m', agreement, id[:]), nil)
		gone = append(gone, id)
		n++
	}
	_ = b.Delete(key('l', agreement, prevRoot), nil)
	_ = b.Set(key('u', agreement, nil), binary.BigEndian.AppendUint64(nil, used), nil)
	err = b.Commit(pebble.Sync)
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	// Files go after their records: a crash in between leaves unreferenced
	// files, never a record without its file. A chunk uploaded again since
	// the commit keeps its new file.
	for _, id := range gone {
		if err := s.dropFile(agreement, id); err != nil {
			return n, err
		}
	}
	return n, nil
}

// dropFile removes a chunk's file unless the chunk was recorded again.
func (s *Store) dropFile(agreement uint64, id wire.ID) error {
	idm := &s.ids[id[0]%uint8(len(s.ids))]
	idm.Lock()
	defer idm.Unlock()
	if _, err := s.get(key('m', agreement, id[:])); err == nil {
		return nil
	}
	return s.blobs.remove(agreement, id)
}

// TotalUsed sums the bytes stored over all agreements (for the metrics).
func (s *Store) TotalUsed() (uint64, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte("u/"), UpperBound: []byte("u0")})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var total uint64
	for it.First(); it.Valid(); it.Next() {
		if len(it.Value()) == 8 {
			total += binary.BigEndian.Uint64(it.Value())
		}
	}
	return total, it.Error()
}
