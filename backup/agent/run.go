package agent

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/selfchain/selfchain/backup/chunker"
	"github.com/selfchain/selfchain/backup/holder"
	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/backup/repo"
	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/x/backup"
)

// RunResult summarises a backup run.
type RunResult struct {
	Snapshot      wire.ID
	Files         int
	Bytes         int64 // plaintext bytes in the snapshot
	ReadBytes     int64 // bytes read and chunked (unchanged files are not read)
	NewChunks     int64 // chunks sealed and uploaded to at least one holder
	UploadedBytes int64 // ciphertext bytes sent, summed over holders
	Committed     []onchain.Manifest
	Skipped       []string // agreements left out, with why
}

type stats struct {
	read, uploaded, newChunks atomic.Int64
}

// job is one chunk on its way to the holders.
type job struct {
	data []byte
	kind wire.Kind
	out  *wire.ID
}

// Run backs source up to every target and commits the new manifests.
func (a *Agent) Run(ctx context.Context, source string) (*RunResult, error) {
	source, err := filepath.Abs(source)
	if err != nil {
		return nil, err
	}
	hs, skipped, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	var parent *repo.SnapshotInfo
	if all, err := a.Repo.Snapshots(); err != nil {
		return nil, err
	} else {
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].Snapshot.Source == source {
				parent = &all[i]
				break
			}
		}
	}
	prev := map[string]*repo.File{}
	snap := &repo.Snapshot{Version: repo.SnapshotVersion, Time: time.Now().UTC(), Source: source}
	snap.Host, _ = os.Hostname()
	if parent != nil {
		snap.Parent = parent.ID.String()
		for i := range parent.Snapshot.Files {
			f := &parent.Snapshot.Files[i]
			prev[f.Path] = f
		}
	}

	var st stats
	res := &RunResult{Skipped: skipped}
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan job, a.workers())
	for range a.uploaders() {
		g.Go(func() error {
			for j := range jobs {
				if err := a.store(gctx, hs, j, &st); err != nil {
					return err
				}
			}
			return nil
		})
	}
	stopProgress := a.progress(&st)
	// Chunk references are written by the workers through stable pointers
	// and read only after g.Wait.
	refs := map[int][]*wire.ID{}
	walkErr := func() error {
		defer close(jobs)
		return filepath.WalkDir(source, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == source {
				return nil
			}
			rel, err := filepath.Rel(source, p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			f := repo.File{Path: filepath.ToSlash(rel), Mode: info.Mode().Perm(), MTime: info.ModTime().UnixNano()}
			if sys, ok := info.Sys().(*syscall.Stat_t); ok {
				f.Inode = sys.Ino
			}
			switch {
			case d.IsDir():
				f.Type = repo.TypeDir
			case info.Mode()&fs.ModeSymlink != 0:
				f.Type = repo.TypeSymlink
				if f.Target, err = os.Readlink(p); err != nil {
					return err
				}
			case info.Mode().IsRegular():
				f.Type, f.Size = repo.TypeFile, info.Size()
				if old := prev[f.Path]; old != nil && old.Type == repo.TypeFile && old.Size == f.Size && old.MTime == f.MTime && old.Inode == f.Inode && allStored(hs, old.Chunks) {
					f.Chunks = old.Chunks // unchanged since the parent snapshot: not read again
				} else {
					r, err := a.chunkFile(gctx, p, jobs, &st)
					if err != nil {
						return err
					}
					refs[len(snap.Files)] = r
				}
				res.Bytes += f.Size
			default:
				return nil // sockets, devices, pipes: not backed up
			}
			snap.Files = append(snap.Files, f)
			return nil
		})
	}()
	err = g.Wait()
	stopProgress()
	if err != nil { // a worker's error first: it is what cancelled the walk
		return nil, err
	}
	if walkErr != nil {
		return nil, fmt.Errorf("reading %s: %w", source, walkErr)
	}
	for i, r := range refs {
		snap.Files[i].Chunks = make([]wire.ID, len(r))
		for j, id := range r {
			snap.Files[i].Chunks[j] = *id
		}
	}
	res.Files = len(snap.Files)

	// The manifest is one more chunk, of kind snapshot; one too large for
	// a chunk is stored as parts (data chunks) and an index.
	mb, err := repo.EncodeSnapshot(snap)
	if err != nil {
		return nil, err
	}
	stored := mb
	if len(mb) > a.manifestLimit() {
		if stored, err = a.storeParts(ctx, hs, snap, &st); err != nil {
			return nil, err
		}
		if mb, err = repo.EncodeSnapshot(snap); err != nil { // the local record names the parts
			return nil, err
		}
		a.printf("the snapshot manifest (%d files, %d bytes) is stored as %d parts\n", len(snap.Files), len(mb), len(snap.Parts))
	}
	var sid wire.ID
	if err := a.store(ctx, hs, job{data: stored, kind: wire.KindSnapshot, out: &sid}, &st); err != nil {
		return nil, err
	}
	if err := a.Repo.Sync(); err != nil {
		return nil, err
	}
	if res.Committed, err = a.commit(ctx, hs); err != nil {
		return nil, err
	}
	if err := a.Repo.PutSnapshot(sid, mb); err != nil {
		return nil, err
	}
	res.Snapshot = sid
	res.ReadBytes, res.NewChunks, res.UploadedBytes = st.read.Load(), st.newChunks.Load(), st.uploaded.Load()
	return res, nil
}

// manifestLimit is the largest manifest stored as one chunk (a sealed
// chunk must stay under backup.MaxChunkSize).
func (a *Agent) manifestLimit() int {
	if a.maxManifest > 0 {
		return a.maxManifest
	}
	return repo.MaxPartSize
}

// storeParts stores snap's entries as parts on every holder, one part at a
// time, records their ids in snap.Parts and returns the sealed-to-be index.
func (a *Agent) storeParts(ctx context.Context, hs []*holderState, snap *repo.Snapshot, st *stats) ([]byte, error) {
	snap.Parts = nil
	err := repo.SplitFiles(snap.Files, func(part []byte) error {
		var id wire.ID
		if err := a.store(ctx, hs, job{data: part, kind: wire.KindData, out: &id}, st); err != nil {
			return err
		}
		snap.Parts = append(snap.Parts, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return repo.EncodeIndex(&repo.SnapshotIndex{Version: repo.SnapshotIndexVersion, Time: snap.Time, Host: snap.Host, Source: snap.Source,
		Parent: snap.Parent, Files: len(snap.Files), Parts: snap.Parts})
}

func allStored(hs []*holderState, ids []wire.ID) bool {
	for _, h := range hs {
		for _, id := range ids {
			if !h.has(id) {
				return false
			}
		}
	}
	return true
}

// chunkFile streams a file through the chunker, handing chunks to the workers.
func (a *Agent) chunkFile(ctx context.Context, path string, jobs chan<- job, st *stats) ([]*wire.ID, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := a.chunker
	if c == nil {
		if c, err = chunker.New(f, a.Keys.gear, chunker.DefaultParams); err != nil {
			return nil, err
		}
		a.chunker = c // one 8 MiB buffer for the whole walk
	} else {
		c.Reset(f)
	}
	var refs []*wire.ID
	for {
		b, err := c.Next()
		if err == io.EOF {
			return refs, nil
		}
		if err != nil {
			return nil, err
		}
		st.read.Add(int64(len(b)))
		out := new(wire.ID)
		refs = append(refs, out)
		select {
		case jobs <- job{data: bytes.Clone(b), kind: wire.KindData, out: out}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// store makes sure every holder has the chunk: sealed once, uploaded in
// parallel to the holders that lack it, recorded locally after each upload.
func (a *Agent) store(ctx context.Context, hs []*holderState, j job, st *stats) error {
	id := a.Keys.ChunkID(j.kind, j.data)
	*j.out = id
	var need []*holderState
	for _, h := range hs {
		if !h.has(id) {
			need = append(need, h)
		}
	}
	if len(need) == 0 {
		return nil
	}
	ct, err := a.Keys.SealChunk(id, j.kind, j.data)
	if err != nil {
		return err
	}
	leaf, err := backup.ChunkLeafOf(ct)
	if err != nil {
		return err
	}
	st.newChunks.Add(1)
	var wg sync.WaitGroup
	errs := make([]error, len(need))
	for i, h := range need {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.upload(ctx, h, id, j.kind, ct, leaf)
			if errs[i] == nil {
				st.uploaded.Add(int64(len(ct)))
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (a *Agent) upload(ctx context.Context, h *holderState, id wire.ID, kind wire.Kind, ct, leaf []byte) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var got []byte
		if got, err = h.c.PutLeaf(ctx, id, kind, ct, leaf); err == nil {
			if !bytes.Equal(got, leaf) {
				return fmt.Errorf("holder of agreement %d computed leaf %x for chunk %s, want %x", h.agr.ID, got, id, leaf)
			}
			if err := a.Repo.SetUploaded(h.agr.ID, id, kind, leaf); err != nil {
				return err
			}
			h.add(id)
			return nil
		}
		if holder.IsPermanent(err) {
			break
		}
	}
	return fmt.Errorf("uploading chunk %s to the holder of agreement %d: %w", id, h.agr.ID, err)
}

// commit announces each agreement's sorted chunk list to its holder and
// commits the root on chain when it changed.
func (a *Agent) commit(ctx context.Context, hs []*holderState) ([]onchain.Manifest, error) {
	var out []onchain.Manifest
	for _, h := range hs {
		es, err := a.Repo.Uploaded(h.agr.ID)
		if err != nil {
			return nil, err
		}
		ids := make([]wire.ID, len(es))
		leaves := make([][]byte, len(es))
		var total uint64
		for i, e := range es {
			ids[i], leaves[i] = e.ID, e.Leaf
			total += binary.BigEndian.Uint64(e.Leaf)
		}
		root := wire.Root(leaves)
		if bytes.Equal(root, h.agr.Root) {
			continue
		}
		got, err := h.c.PutManifest(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("announcing the manifest to the holder of agreement %d: %w", h.agr.ID, err)
		}
		if !bytes.Equal(got, root) {
			return nil, fmt.Errorf("holder of agreement %d computes root %x for the manifest, want %x: run 'backup verify'", h.agr.ID, got, root)
		}
		m := onchain.Manifest{AgreementID: h.agr.ID, Revision: h.agr.Revision + 1, Root: root, ChunkCount: uint64(len(ids)), TotalBytes: total}
		if err := a.Chain.CommitManifest(ctx, m); err != nil {
			return nil, fmt.Errorf("committing revision %d of agreement %d: %w", m.Revision, h.agr.ID, err)
		}
		a.printf("agreement %d: committed revision %d (%d chunks, %s, root %x)\n", h.agr.ID, m.Revision, m.ChunkCount, mib(int64(total)), root[:8])
		out = append(out, m)
	}
	return out, nil
}

// progress prints a line a second until stopped.
func (a *Agent) progress(st *stats) func() {
	if a.Out == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				secs := time.Since(start).Seconds()
				a.printf("read %s (%.0f MiB/s), %d new chunks, uploaded %s\n", mib(st.read.Load()), float64(st.read.Load())/secs/(1<<20), st.newChunks.Load(), mib(st.uploaded.Load()))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
