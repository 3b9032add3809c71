// Package repo is the backup agent's local state: which chunks it has
// uploaded to which agreement (with the leaf it computed, the only leaves
// it commits), and the snapshots it made. Its size follows the chunk index,
// never the data.
package repo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble"

	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/x/backup"
)

// Repo is the agent's pebble index. Layout:
//
//	a/<agreement>/<id>  kind ‖ leaf    chunk uploaded to the agreement's holder
//	s/<snapshot id>     manifest JSON  snapshots made from this machine
type Repo struct{ db *pebble.DB }

// ErrNotFound is returned for an unknown snapshot.
var ErrNotFound = errors.New("not found")

// Open opens (or creates) the index in dir.
func Open(dir string) (*Repo, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("opening the backup index in %s: %w", dir, err)
	}
	return &Repo{db}, nil
}

// quietLogger drops pebble's routine messages (WAL replay on every start).
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	pebble.DefaultLogger.Fatalf(format, args...)
}

// Close closes the index.
func (r *Repo) Close() error { return r.db.Close() }

func akey(agreement uint64, id *wire.ID) []byte {
	k := binary.BigEndian.AppendUint64([]byte("a/"), agreement)
	if id != nil {
		k = append(append(k, '/'), id[:]...)
	}
	return k
}

// SetUploaded records that the agreement's holder stores id with this leaf.
func (r *Repo) SetUploaded(agreement uint64, id wire.ID, kind wire.Kind, leaf []byte) error {
	return r.db.Set(akey(agreement, &id), append([]byte{byte(kind)}, leaf...), pebble.NoSync)
}

// DeleteUploaded forgets a record.
func (r *Repo) DeleteUploaded(agreement uint64, id wire.ID) error {
	return r.db.Delete(akey(agreement, &id), pebble.NoSync)
}

// Sync makes the records durable (after a batch of uploads).
func (r *Repo) Sync() error { return r.db.LogData(nil, pebble.Sync) }

// Uploaded lists an agreement's records in id (manifest) order.
func (r *Repo) Uploaded(agreement uint64) ([]wire.Entry, error) {
	lo := append(akey(agreement, nil), '/')
	hi := append(akey(agreement, nil), '/'+1)
	it, err := r.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []wire.Entry
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != len(lo)+wire.IDSize || len(v) != 1+backup.ChunkLeafSize {
			return nil, fmt.Errorf("corrupt index record %x", k)
		}
		var e wire.Entry
		copy(e.ID[:], k[len(lo):])
		e.Kind, e.Leaf = wire.Kind(v[0]), bytes.Clone(v[1:])
		out = append(out, e)
	}
	return out, it.Error()
}

// PutSnapshot stores a snapshot manifest under its id.
func (r *Repo) PutSnapshot(id wire.ID, manifest []byte) error {
	return r.db.Set(append([]byte("s/"), id[:]...), manifest, pebble.Sync)
}

// DeleteSnapshot removes a snapshot.
func (r *Repo) DeleteSnapshot(id wire.ID) error {
	return r.db.Delete(append([]byte("s/"), id[:]...), pebble.Sync)
}

// SnapshotInfo is a stored snapshot.
type SnapshotInfo struct {
	ID       wire.ID
	Snapshot *Snapshot
}

// Snapshots lists the stored snapshots, oldest first.
func (r *Repo) Snapshots() ([]SnapshotInfo, error) {
	it, err := r.db.NewIter(&pebble.IterOptions{LowerBound: []byte("s/"), UpperBound: []byte("s0")})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []SnapshotInfo
	for it.First(); it.Valid(); it.Next() {
		s, err := DecodeSnapshot(it.Value())
		if err != nil {
			return nil, err
		}
		var id wire.ID
		copy(id[:], it.Key()[2:])
		out = append(out, SnapshotInfo{id, s})
	}
	slices.SortStableFunc(out, func(a, b SnapshotInfo) int { return a.Snapshot.Time.Compare(b.Snapshot.Time) })
	return out, it.Error()
}

// FindSnapshot resolves "latest" or a hex id prefix among the stored snapshots.
func (r *Repo) FindSnapshot(ref string) (SnapshotInfo, error) {
	all, err := r.Snapshots()
	if err != nil {
		return SnapshotInfo{}, err
	}
	return Find(all, ref)
}

// Find resolves "latest" or a hex id prefix in a list.
func Find(all []SnapshotInfo, ref string) (SnapshotInfo, error) {
	if len(all) == 0 {
		return SnapshotInfo{}, fmt.Errorf("no snapshots: %w", ErrNotFound)
	}
	if ref == "" || ref == "latest" {
		return all[len(all)-1], nil
	}
	var hit []SnapshotInfo
	for _, s := range all {
		if strings.HasPrefix(s.ID.String(), strings.ToLower(ref)) {
			hit = append(hit, s)
		}
	}
	switch len(hit) {
	case 0:
		return SnapshotInfo{}, fmt.Errorf("snapshot %q: %w", ref, ErrNotFound)
	case 1:
		return hit[0], nil
	}
	return SnapshotInfo{}, fmt.Errorf("snapshot %q is ambiguous (%d match): give more characters", ref, len(hit))
}

// SortSnapshots orders snapshots oldest first.
func SortSnapshots(s []SnapshotInfo) {
	slices.SortStableFunc(s, func(a, b SnapshotInfo) int { return a.Snapshot.Time.Compare(b.Snapshot.Time) })
}
