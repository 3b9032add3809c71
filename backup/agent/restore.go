package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/selfchain/selfchain/backup/repo"
	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/x/backup"
)

// source is a holder whose chunk list was checked against its on-chain root.
type source struct {
	t      Target
	h      *holderState
	leaves map[wire.ID][]byte
	kinds  map[wire.ID]wire.Kind
}

// sources reads each agreement's committed root and the leaves behind it
// (from the local index, else from the holder) and keeps the holders whose
// leaves hash to that root: every chunk fetched later is checked against
// them, so a holder cannot serve anything the chain did not commit.
func (a *Agent) sources(ctx context.Context) ([]*source, error) {
	var out []*source
	var errs []error
	for _, t := range a.Targets {
		s, err := a.source(ctx, t)
		if err != nil {
			a.printf("agreement %d: not used: %v\n", t.Agreement, err)
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no holder can be used: %w", errors.Join(errs...))
	}
	return out, nil
}

func (a *Agent) source(ctx context.Context, t Target) (*source, error) {
	agr, err := a.Chain.Agreement(ctx, t.Agreement)
	if err != nil {
		return nil, err
	}
	if len(agr.Root) == 0 {
		return nil, fmt.Errorf("agreement %d has no committed manifest", agr.ID)
	}
	c, err := a.client(t)
	if err != nil {
		return nil, err
	}
	h := &holderState{t: t, c: c, agr: agr}
	es, err := a.Repo.Uploaded(agr.ID)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(rootOf(es), agr.Root) {
		// The local index is missing or ahead of the chain: take the
		// holder's list for the committed root, trusted only if it hashes
		// to that root.
		if es, err = h.c.Manifest(ctx, agr.Root); err != nil {
			return nil, fmt.Errorf("the holder's chunk list for root %x: %w", agr.Root, err)
		}
		if !bytes.Equal(rootOf(es), agr.Root) {
			return nil, fmt.Errorf("the holder's chunk list does not hash to the on-chain root %x", agr.Root)
		}
		if err := checkSorted(es); err != nil {
			return nil, err
		}
	}
	s := &source{t: t, h: h, leaves: make(map[wire.ID][]byte, len(es)), kinds: map[wire.ID]wire.Kind{}}
	for _, e := range es {
		s.leaves[e.ID] = e.Leaf
		s.kinds[e.ID] = e.Kind
	}
	return s, nil
}

func checkSorted(es []wire.Entry) error {
	for i := 1; i < len(es); i++ {
		if bytes.Compare(es[i-1].ID[:], es[i].ID[:]) >= 0 {
			return errors.New("the holder's chunk list is not sorted")
		}
	}
	return nil
}

func rootOf(es []wire.Entry) []byte {
	leaves := make([][]byte, len(es))
	for i, e := range es {
		leaves[i] = e.Leaf
	}
	return wire.Root(leaves)
}

// fetch gets a chunk from the first holder that returns a copy matching its
// committed leaf, and decrypts it. A bad or missing copy is reported and the
// next holder is tried.
func (a *Agent) fetch(ctx context.Context, srcs []*source, id wire.ID, kind wire.Kind) ([]byte, error) {
	_, _, pt, err := a.fetchChunk(ctx, srcs, id, kind)
	return pt, err
}

// fetchChunk is fetch returning the good copy's ciphertext and leaf too (what
// replicate passes on unchanged) besides its plaintext.
func (a *Agent) fetchChunk(ctx context.Context, srcs []*source, id wire.ID, kind wire.Kind) (ct, leaf, pt []byte, err error) {
	var errs []error
	for _, s := range srcs {
		want, ok := s.leaves[id]
		if !ok {
			continue
		}
		ct, err := s.h.c.Get(ctx, id)
		if err == nil {
			if leaf, err = backup.ChunkLeafOf(ct); err == nil && !bytes.Equal(leaf, want) {
				err = errors.New("its content does not match the leaf committed on chain")
			}
		}
		if err == nil {
			pt, err := a.Keys.OpenChunk(id, kind, ct)
			if err == nil {
				return ct, leaf, pt, nil
			}
			errs = append(errs, err)
			continue
		}
		if ctx.Err() != nil {
			return nil, nil, nil, ctx.Err()
		}
		a.printf("chunk %s from the holder of agreement %d: %v; trying the next holder\n", id.String()[:16], s.t.Agreement, err)
		errs = append(errs, fmt.Errorf("agreement %d: %w", s.t.Agreement, err))
	}
	if len(errs) == 0 {
		return nil, nil, nil, fmt.Errorf("chunk %s is in no committed manifest of the given agreements", id)
	}
	return nil, nil, nil, fmt.Errorf("chunk %s: no holder has a good copy: %w", id, errors.Join(errs...))
}

// loadSnapshot fetches a snapshot manifest from the holders: the snapshot
// chunk, and for a manifest stored as parts each part in order (one part
// in memory at a time besides the entries decoded so far).
func (a *Agent) loadSnapshot(ctx context.Context, srcs []*source, id wire.ID) (*repo.Snapshot, error) {
	mb, err := a.fetch(ctx, srcs, id, wire.KindSnapshot)
	if err != nil {
		return nil, err
	}
	snap, idx, err := repo.DecodeStored(mb)
	if err != nil || idx == nil {
		return snap, err
	}
	snap = idx.Header()
	snap.Files = make([]repo.File, 0, min(idx.Files, 1<<16)) // the count is checked as parts arrive
	for i, pid := range idx.Parts {
		pt, err := a.fetch(ctx, srcs, pid, wire.KindData)
		if err != nil {
			return nil, fmt.Errorf("part %d of %d of snapshot %s: %w", i+1, len(idx.Parts), id.String()[:16], err)
		}
		fs, err := repo.DecodePart(pt, len(snap.Files))
		if err != nil {
			return nil, fmt.Errorf("part %d of %d of snapshot %s: %w", i+1, len(idx.Parts), id.String()[:16], err)
		}
		if len(snap.Files)+len(fs) > idx.Files {
			return nil, fmt.Errorf("snapshot %s: its parts hold more than the %d entries its index counts", id.String()[:16], idx.Files)
		}
		snap.Files = append(snap.Files, fs...)
	}
	if len(snap.Files) != idx.Files {
		return nil, fmt.Errorf("snapshot %s: its parts hold %d entries, its index counts %d", id.String()[:16], len(snap.Files), idx.Files)
	}
	return snap, nil
}

// RemoteSnapshots lists the snapshots stored on the holders (for a machine
// that lost its local index): every snapshot chunk is fetched and decrypted.
func (a *Agent) RemoteSnapshots(ctx context.Context) ([]repo.SnapshotInfo, error) {
	srcs, err := a.sources(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[wire.ID]bool{}
	var out []repo.SnapshotInfo
	for _, s := range srcs {
		for id, k := range s.kinds {
			if k != wire.KindSnapshot || seen[id] {
				continue
			}
			seen[id] = true
			snap, err := a.loadSnapshot(ctx, srcs, id)
			if err != nil {
				return nil, err
			}
			out = append(out, repo.SnapshotInfo{ID: id, Snapshot: snap})
		}
	}
	repo.SortSnapshots(out)
	return out, nil
}

// RestoreResult summarises a restore.
type RestoreResult struct {
	Snapshot wire.ID
	Files    int
	Bytes    int64
}

// Restore writes snapshot ref ("latest" or an id prefix) under dir. Every
// chunk is checked against an on-chain root before it is decrypted; files
// appear only complete (written to a temporary name, then renamed).
func (a *Agent) Restore(ctx context.Context, ref, dir string) (*RestoreResult, error) {
	srcs, err := a.sources(ctx)
	if err != nil {
		return nil, err
	}
	all, err := a.Repo.Snapshots()
	if err != nil {
		return nil, err
	}
	info, err := repo.Find(all, ref)
	if errors.Is(err, repo.ErrNotFound) {
		if all, err = a.RemoteSnapshots(ctx); err != nil {
			return nil, err
		}
		info, err = repo.Find(all, ref)
	}
	if err != nil {
		return nil, err
	}
	// The manifest itself comes from a holder too, so a restore shows what
	// the holders can give back, not what this machine remembers.
	snap, err := a.loadSnapshot(ctx, srcs, info.ID)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res := &RestoreResult{Snapshot: info.ID}
	type dirTime struct {
		path  string
		mtime int64
	}
	var dirs []dirTime
	for _, f := range snap.Files {
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		switch f.Type {
		case repo.TypeDir:
			if err := os.MkdirAll(dst, f.Mode|0o700); err != nil {
				return nil, err
			}
			dirs = append(dirs, dirTime{dst, f.MTime})
		case repo.TypeSymlink:
			tmp := dst + ".restore-tmp"
			_ = os.Remove(tmp)
			if err := os.Symlink(f.Target, tmp); err != nil {
				return nil, err
			}
			if err := os.Rename(tmp, dst); err != nil {
				return nil, err
			}
		case repo.TypeFile:
			if err := a.restoreFile(ctx, srcs, f, dst); err != nil {
				return nil, fmt.Errorf("restoring %s: %w", f.Path, err)
			}
			res.Bytes += f.Size
		}
		res.Files++
	}
	for i := len(dirs) - 1; i >= 0; i-- { // after their contents changed them
		t := time.Unix(0, dirs[i].mtime)
		_ = os.Chtimes(dirs[i].path, t, t)
	}
	return res, nil
}

// restoreFile fetches a file's chunks a few at a time ahead of the writer.
func (a *Agent) restoreFile(ctx context.Context, srcs []*source, f repo.File, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		pt  []byte
		err error
	}
	window := a.workers() * 2
	futures := make(chan chan result, window)
	go func() {
		defer close(futures)
		sem := make(chan struct{}, a.workers())
		for _, id := range f.Chunks {
			ch := make(chan result, 1)
			select {
			case futures <- ch:
			case <-ctx.Done():
				return
			}
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				pt, err := a.fetch(ctx, srcs, id, wire.KindData)
				ch <- result{pt, err}
			}()
		}
	}()
	var written int64
	for ch := range futures {
		r := <-ch
		if r.err != nil {
			tmp.Close()
			return r.err
		}
		if _, err := tmp.Write(r.pt); err != nil {
			tmp.Close()
			return err
		}
		written += int64(len(r.pt))
	}
	if written != f.Size {
		tmp.Close()
		return fmt.Errorf("restored %d bytes, the manifest says %d", written, f.Size)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), f.Mode); err != nil {
		return err
	}
	t := time.Unix(0, f.MTime)
	if err := os.Chtimes(tmp.Name(), t, t); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
