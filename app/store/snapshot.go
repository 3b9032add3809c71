package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
	"github.com/cosmos/iavl/fastnode"
	"github.com/cosmos/iavl/keyformat"
)

// A state snapshot of one committed version is a stream of records, stores in name order,
// each store's IAVL nodes in the exporter's depth-first post-order (what iavl's Importer
// needs to rebuild the identical tree):
//
//	0x01 uvarint(len) name                        a store starts
//	0x02 height(1) uvarint(version) uvarint(len) key [uvarint(len) value  (leaves only)]
//	0x03                                          end of the stream
//
// The stream carries no hashes of its own: the snapshot layer hashes its chunks, and a
// restore recomputes every tree root and the app hash before committing anything.
const (
	recStore byte = 1
	recNode  byte = 2
	recEnd   byte = 3
)

// Bounds on what a snapshot stream may hold, so a forged stream cannot make a restore
// allocate without limit. They exceed anything the modules store.
const (
	maxSnapshotName  = 128
	maxSnapshotKey   = 1 << 20
	maxSnapshotValue = 64 << 20
	// maxImportStack bounds unresolved subtrees during a restore: a valid post-order
	// stream never holds more than about the tree height (< 128).
	maxImportStack = 256
	// exportCacheSize is the node cache of the trees a snapshot is read through: the
	// export visits each node once, so a cache only costs memory.
	exportCacheSize = 1_000
)

// ErrSnapshotStream marks a snapshot stream that does not decode or does not describe
// valid trees of this store's modules.
var ErrSnapshotStream = errors.New("store: bad snapshot stream")

func streamErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSnapshotStream, fmt.Sprintf(format, args...))
}

// ExportYield makes ExportSnapshot pause as long as it has worked, every few thousand
// nodes (tools exporting a stopped node's state turn it off).
var ExportYield = true

// StoreRoot is one store's tree root at a version.
type StoreRoot struct {
	Name string
	Root []byte
}

// Roots returns the tree roots of a retained version, sorted by store name.
func (ms *MultiStore) Roots(version int64) ([]StoreRoot, error) {
	ci, err := loadCommitInfo(ms.db, version, ms.names)
	if err != nil {
		return nil, err
	}
	out := make([]StoreRoot, len(ci.names))
	for i := range ci.names {
		out[i] = StoreRoot{Name: ci.names[i], Root: slices.Clone(ci.roots[i])}
	}
	return out, nil
}

// AppHashOf is the app hash of stores with these roots (sorted by name).
func AppHashOf(roots []StoreRoot) []byte {
	names := make([]string, len(roots))
	hashes := make([][]byte, len(roots))
	for i, r := range roots {
		names[i], hashes[i] = r.Name, r.Root
	}
	return appHash(names, hashes)
}

// Hold keeps a committed version from being pruned until release is called: a snapshot
// reads it in the background while blocks keep committing (and pruning).
func (ms *MultiStore) Hold(version int64) (release func(), err error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.closed {
		return nil, errors.New("store: closed")
	}
	if err := checkVersion(version, ms.earliest, ms.last.Version); err != nil {
		return nil, err
	}
	if ms.holds == nil {
		ms.holds = map[int64]int{}
	}
	ms.holds[version]++
	released := false
	return func() {
		ms.mu.Lock()
		defer ms.mu.Unlock()
		if released {
			return
		}
		released = true
		if ms.holds[version]--; ms.holds[version] <= 0 {
			delete(ms.holds, version)
		}
	}, nil
}

// lowestHoldLocked is the lowest held version (ms.mu held).
func (ms *MultiStore) lowestHoldLocked() (int64, bool) {
	var low int64
	for v := range ms.holds {
		if low == 0 || v < low {
			low = v
		}
	}
	return low, low != 0
}

// ExportSnapshot writes the snapshot stream of a committed version to w. It reads the
// version through trees of its own (sharing nothing with the working trees or the query
// readers) and holds it against pruning, so it may run while blocks commit. ctx stops it.
func (ms *MultiStore) ExportSnapshot(ctx context.Context, version int64, w io.Writer) error {
	release, err := ms.Hold(version)
	if err != nil {
		return err
	}
	defer release()
	bw := bufio.NewWriterSize(w, 256<<10)
	var buf []byte
	for _, name := range ms.names {
		buf = append(buf[:0], recStore)
		buf = appendBytes(buf, []byte(name))
		if _, err := bw.Write(buf); err != nil {
			return err
		}
		if err := ms.exportTree(ctx, name, version, bw); err != nil {
			return fmt.Errorf("store: export %q at version %d: %w", name, version, err)
		}
	}
	if err := bw.WriteByte(recEnd); err != nil {
		return err
	}
	return bw.Flush()
}

func (ms *MultiStore) exportTree(ctx context.Context, name string, version int64, w *bufio.Writer) error {
	tree := iavl.NewMutableTree(iavldb.NewWrapper(dbm.NewPrefixDB(ms.db, treePrefix(name))),
		exportCacheSize, true, iavl.NewNopLogger())
	defer tree.Close()
	it, err := tree.GetImmutable(version)
	if err != nil {
		return err
	}
	exp, err := it.Export()
	if err != nil {
		return err
	}
	defer exp.Close()
	var buf []byte
	worked := time.Now()
	for n := 1; ; n++ {
		if n%4096 == 0 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Yield as long as it worked: a snapshot uses at most half a core, so the
			// blocks committing meanwhile keep their pace on a small machine.
			if ExportYield {
				time.Sleep(time.Since(worked))
			}
			worked = time.Now()
		}
		node, err := exp.Next()
		if errors.Is(err, iavl.ErrorExportDone) {
			return nil
		}
		if err != nil {
			return err
		}
		buf = appendNode(buf[:0], node)
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
}

func appendNode(buf []byte, n *iavl.ExportNode) []byte {
	buf = append(buf, recNode, byte(n.Height))
	buf = appendUvarint(buf, uint64(n.Version))
	buf = appendBytes(buf, n.Key)
	if n.Height == 0 {
		buf = appendBytes(buf, n.Value)
	}
	return buf
}

func appendUvarint(buf []byte, v uint64) []byte {
	for v >= 0x80 {
		buf = append(buf, byte(v)|0x80)
		v >>= 7
	}
	return append(buf, byte(v))
}

func appendBytes(buf, b []byte) []byte {
	return append(appendUvarint(buf, uint64(len(b))), b...)
}

// SnapshotRecord is one decoded record of a snapshot stream.
type SnapshotRecord struct {
	Kind  byte // recStore, recNode or recEnd
	Store string
	Node  iavl.ExportNode
}

// SnapshotDecoder reads the records of a snapshot stream, checking their encoding and
// bounds (not the tree structure: RestoreSnapshot does that).
type SnapshotDecoder struct{ r *bufio.Reader }

func NewSnapshotDecoder(r io.Reader) *SnapshotDecoder {
	return &SnapshotDecoder{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next record; io.ErrUnexpectedEOF (wrapped in ErrSnapshotStream) when
// the stream ends before its end record.
func (d *SnapshotDecoder) Next() (SnapshotRecord, error) {
	kind, err := d.r.ReadByte()
	if err != nil {
		return SnapshotRecord{}, d.eof(err)
	}
	switch kind {
	case recEnd:
		return SnapshotRecord{Kind: recEnd}, nil
	case recStore:
		name, err := d.bytes(maxSnapshotName, "store name")
		if err != nil {
			return SnapshotRecord{}, err
		}
		return SnapshotRecord{Kind: recStore, Store: string(name)}, nil
	case recNode:
		h, err := d.r.ReadByte()
		if err != nil {
			return SnapshotRecord{}, d.eof(err)
		}
		if h > 127 {
			return SnapshotRecord{}, streamErr("node height %d", int8(h))
		}
		v, err := binaryUvarint(d.r)
		if err != nil {
			return SnapshotRecord{}, d.eof(err)
		}
		if v == 0 || v > 1<<62 {
			return SnapshotRecord{}, streamErr("node version %d", v)
		}
		key, err := d.bytes(maxSnapshotKey, "key")
		if err != nil {
			return SnapshotRecord{}, err
		}
		n := iavl.ExportNode{Key: key, Version: int64(v), Height: int8(h)}
		if h == 0 {
			if n.Value, err = d.bytes(maxSnapshotValue, "value"); err != nil {
				return SnapshotRecord{}, err
			}
		}
		return SnapshotRecord{Kind: recNode, Node: n}, nil
	default:
		return SnapshotRecord{}, streamErr("unknown record type %#x", kind)
	}
}

func (d *SnapshotDecoder) eof(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errVarint) {
		return fmt.Errorf("%w: %w", ErrSnapshotStream, err)
	}
	return err // the reader's own failure (a corrupt compressed stream, an abort)
}

// bytes reads a uvarint-prefixed byte string of at most limit bytes, never nil. Memory
// grows with the bytes actually read, not with the length a forged prefix claims.
func (d *SnapshotDecoder) bytes(limit uint64, what string) ([]byte, error) {
	n, err := binaryUvarint(d.r)
	if err != nil {
		return nil, d.eof(err)
	}
	if n > limit {
		return nil, streamErr("%s of %d bytes (at most %d)", what, n, limit)
	}
	if n <= 64<<10 {
		out := make([]byte, n)
		if _, err := io.ReadFull(d.r, out); err != nil {
			return nil, d.eof(err)
		}
		return out, nil
	}
	var b bytes.Buffer
	if _, err := io.CopyN(&b, d.r, int64(n)); err != nil {
		return nil, d.eof(err)
	}
	return b.Bytes(), nil
}

var errVarint = errors.New("varint overflows 64 bits")

func binaryUvarint(r io.ByteReader) (uint64, error) {
	var x uint64
	var s uint
	for i := 0; i < 10; i++ {
		b, err := r.ReadByte()
		if err != nil {
			if i > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if b < 0x80 {
			if i == 9 && b > 1 {
				return 0, errVarint
			}
			return x | uint64(b)<<s, nil
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
	return 0, errVarint
}

// RestoreSnapshot rebuilds version from a snapshot stream into this empty store and
// commits it, but only if the restored app hash is wantHash; otherwise (and on any error)
// it leaves the store empty again. Only the snapshot connection calls it, while no block
// executes (state sync, or an offline restore).
func (ms *MultiStore) RestoreSnapshot(version int64, r io.Reader, wantHash []byte) (CommitID, error) {
	if version <= 0 {
		return CommitID{}, fmt.Errorf("store: restore at version %d", version)
	}
	if last := ms.LastCommitID(); last.Version != 0 {
		return CommitID{}, fmt.Errorf("store: restore into a store that holds version %d: it must be empty", last.Version)
	}
	id, err := ms.restore(version, NewSnapshotDecoder(r), wantHash)
	if err != nil {
		if rerr := ms.resetEmpty(); rerr != nil {
			return CommitID{}, errors.Join(err, fmt.Errorf("store: reset after a failed restore: %w", rerr))
		}
		return CommitID{}, err
	}
	return id, nil
}

func (ms *MultiStore) restore(version int64, dec *SnapshotDecoder, wantHash []byte) (id CommitID, err error) {
	defer func() {
		// iavl's importer trusts its input more than a forged stream deserves: whatever it
		// trips on is a bad snapshot, never a crashed node.
		if p := recover(); p != nil {
			err = streamErr("restore panicked: %v", p)
		}
	}()
	// Trees are imported through trees of their own that skip iavl's fast-index rebuild
	// (which reads every node back from the database: most of a restore's time); the
	// import writes the fast index itself as leaves arrive. Each tree's final flush runs
	// while the next store is read.
	imported := make([]*iavl.MutableTree, len(ms.names))
	defer func() {
		for _, t := range imported {
			if t != nil {
				_ = t.Close()
			}
		}
	}()
	var wg sync.WaitGroup
	commitErrs := make([]error, len(ms.names))
	defer wg.Wait() // never leave a commit running into resetEmpty
	rec, err := dec.Next()
	if err != nil {
		return CommitID{}, err
	}
	for i, name := range ms.names {
		if rec.Kind != recStore || rec.Store != name {
			return CommitID{}, streamErr("expected store %q (stores %v in order), got record %d %q", name, ms.names, rec.Kind, rec.Store)
		}
		imported[i] = iavl.NewMutableTree(iavldb.NewWrapper(dbm.NewPrefixDB(ms.db, treePrefix(name))), exportCacheSize, true, iavl.NewNopLogger())
		var imp *iavl.Importer
		if rec, imp, err = ms.importTree(imported[i], name, version, dec); err != nil {
			return CommitID{}, fmt.Errorf("store %q: %w", name, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					commitErrs[i] = streamErr("commit of %q panicked: %v", name, p)
				}
			}()
			defer imp.Close()
			if err := imp.Commit(); err != nil {
				commitErrs[i] = fmt.Errorf("store %q: %w: %w", name, ErrSnapshotStream, err)
			}
		}()
	}
	if rec.Kind != recEnd {
		return CommitID{}, streamErr("expected the end after store %q, got record %d %q", ms.names[len(ms.names)-1], rec.Kind, rec.Store)
	}
	wg.Wait()
	if err := errors.Join(commitErrs...); err != nil {
		return CommitID{}, err
	}
	ci := commitInfo{version: version, names: ms.names, roots: make([][]byte, len(ms.trees))}
	for i, t := range imported {
		ci.roots[i] = t.Hash()
		if v := t.Version(); v != version {
			return CommitID{}, fmt.Errorf("store: %q restored at version %d, want %d", ms.names[i], v, version)
		}
	}
	hash := ci.hash()
	if !bytes.Equal(hash, wantHash) {
		return CommitID{}, streamErr("restored app hash %X, want %X", hash, wantHash)
	}
	// The working trees load the restored version (and find its fast index in place).
	for i, name := range ms.names {
		_ = ms.trees[i].Close()
		tree, err := loadTree(ms.db, name, version, ms.opts)
		if err != nil {
			return CommitID{}, err
		}
		ms.trees[i], ms.bases[i] = tree, &workingTree{tree: tree}
	}
	if err := writeCommitInfo(ms.db, ci); err != nil {
		return CommitID{}, fmt.Errorf("store: write commit info %d: %w", version, err)
	}
	id = CommitID{Version: version, Hash: hash}
	ms.mu.Lock()
	ms.last, ms.earliest = id, version
	ms.mu.Unlock()
	return CommitID{Version: version, Hash: slices.Clone(hash)}, nil
}

// iavl's on-disk fast index, which the import writes itself (iavl v1.2 nodedb.go:
// f<key> -> varint(version) || bytes(value), and m"storage_version" = "1.1.0-<version>"
// to say the index matches that version).
var (
	fastKeyFormat      = keyformat.NewKeyFormat('f', 0)
	storageVersionKey  = keyformat.NewKeyFormat('m', 0).Key([]byte("storage_version"))
	fastIndexBatchSize = 10_000
)

// importTree imports store name's nodes into tree (empty) and returns the record after
// them, with the importer still to commit. It checks the post-order structure itself
// (iavl's importer would accept some malformed orders) and writes the fast index.
func (ms *MultiStore) importTree(tree *iavl.MutableTree, name string, version int64, dec *SnapshotDecoder) (SnapshotRecord, *iavl.Importer, error) {
	imp, err := tree.Import(version)
	if err != nil {
		return SnapshotRecord{}, nil, err
	}
	pdb := dbm.NewPrefixDB(ms.db, treePrefix(name))
	batch := pdb.NewBatch()
	pending := 0
	fail := func(rec SnapshotRecord, err error) (SnapshotRecord, *iavl.Importer, error) {
		imp.Close()
		_ = batch.Close()
		return rec, nil, err
	}
	var stack []int8 // heights of unresolved subtrees
	var buf bytes.Buffer
	for {
		rec, err := dec.Next()
		if err != nil {
			return fail(rec, err)
		}
		if rec.Kind != recNode {
			if len(stack) > 1 {
				return fail(rec, streamErr("%d unjoined subtrees at the end of the tree", len(stack)))
			}
			if err := batch.Set(storageVersionKey, []byte("1.1.0-"+strconv.FormatInt(version, 10))); err != nil {
				return fail(rec, err)
			}
			if err := batch.WriteSync(); err != nil {
				return fail(rec, err)
			}
			_ = batch.Close()
			return rec, imp, nil
		}
		n := rec.Node
		if err := checkPostOrder(&stack, n, version); err != nil {
			return fail(rec, err)
		}
		if err := imp.Add(&n); err != nil {
			return fail(rec, fmt.Errorf("%w: %w", ErrSnapshotStream, err))
		}
		if n.Height != 0 {
			continue
		}
		buf.Reset()
		if err := fastnode.NewNode(n.Key, n.Value, version).WriteBytes(&buf); err != nil {
			return fail(rec, err)
		}
		if err := batch.Set(fastKeyFormat.KeyBytes(n.Key), bytes.Clone(buf.Bytes())); err != nil {
			return fail(rec, err)
		}
		if pending++; pending >= fastIndexBatchSize {
			if err := batch.Write(); err != nil {
				return fail(rec, err)
			}
			_ = batch.Close()
			batch, pending = pdb.NewBatch(), 0
		}
	}
}

// checkPostOrder pushes n onto the heights of unresolved subtrees, or joins the top two.
func checkPostOrder(stack *[]int8, n iavl.ExportNode, version int64) error {
	if n.Version > version {
		return streamErr("node version %d above the snapshot version %d", n.Version, version)
	}
	s := *stack
	if n.Height == 0 {
		if len(s) >= maxImportStack {
			return streamErr("more than %d unjoined subtrees", maxImportStack)
		}
		*stack = append(s, 0)
		return nil
	}
	k := len(s)
	if k < 2 || max(s[k-1], s[k-2])+1 != n.Height {
		return streamErr("inner node of height %d does not join the two subtrees before it", n.Height)
	}
	*stack = append(s[:k-2], n.Height)
	return nil
}

// resetEmpty wipes every tree and reopens it empty, after a failed restore.
func (ms *MultiStore) resetEmpty() error {
	for i, name := range ms.names {
		_ = ms.trees[i].Close()
		tree, err := loadTree(ms.db, name, 0, ms.opts)
		if err != nil {
			return err
		}
		ms.trees[i] = tree
		ms.bases[i] = &workingTree{tree: tree}
	}
	return nil
}
