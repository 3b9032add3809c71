package snapshots

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Files keeps snapshots under a directory, one folder per height holding "metadata" and
// the chunks "0", "1", ...; a snapshot being written lives in "tmp-<height>" and is renamed
// into place whole, so a crash leaves no half snapshot to serve.
type Files struct{ dir string }

func NewFiles(dir string) *Files { return &Files{dir: dir} }

// Dir is the snapshot directory.
func (f *Files) Dir() string { return f.dir }

func (f *Files) path(height int64) string {
	return filepath.Join(f.dir, strconv.FormatInt(height, 10))
}

const metadataFile = "metadata"

// Heights lists the complete snapshots, newest first.
func (f *Files) Heights() ([]int64, error) {
	entries, err := os.ReadDir(f.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, e := range entries {
		h, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || h <= 0 || !e.IsDir() {
			continue // tmp-<height> and anything else
		}
		out = append(out, h)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out, nil
}

// Metadata reads a snapshot's metadata.
func (f *Files) Metadata(height int64) (Metadata, error) {
	bz, err := os.ReadFile(filepath.Join(f.path(height), metadataFile))
	if err != nil {
		return Metadata{}, err
	}
	m, err := UnmarshalMetadata(bz)
	if err != nil {
		return m, fmt.Errorf("snapshot %d: %w", height, err)
	}
	if m.Height != height {
		return m, fmt.Errorf("snapshot %d: metadata says height %d", height, m.Height)
	}
	return m, nil
}

// Chunk reads chunk index of the snapshot at height.
func (f *Files) Chunk(height int64, index uint32) ([]byte, error) {
	return os.ReadFile(filepath.Join(f.path(height), strconv.FormatUint(uint64(index), 10)))
}

// ChunkPath is where chunk index of the snapshot at height is kept.
func (f *Files) ChunkPath(height int64, index uint32) string {
	return filepath.Join(f.path(height), strconv.FormatUint(uint64(index), 10))
}

// Delete removes the snapshot at height.
func (f *Files) Delete(height int64) error { return os.RemoveAll(f.path(height)) }

// Prune keeps the newest keep snapshots and deletes the rest (keep 0 keeps all).
func (f *Files) Prune(keep int) error {
	if keep <= 0 {
		return nil
	}
	hs, err := f.Heights()
	if err != nil {
		return err
	}
	var errs []error
	for _, h := range hs[min(keep, len(hs)):] {
		errs = append(errs, f.Delete(h))
	}
	return errors.Join(errs...)
}

// writer writes a snapshot's chunks into tmp-<height>; commit renames it into place.
type writer struct {
	f      *Files
	height int64
	tmp    string
	size   int
	buf    []byte
	hashes [][]byte
}

func (f *Files) newWriter(height int64, chunkSize int) (*writer, error) {
	tmp := filepath.Join(f.dir, "tmp-"+strconv.FormatInt(height, 10))
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	return &writer{f: f, height: height, tmp: tmp, size: chunkSize, buf: make([]byte, 0, chunkSize)}, nil
}

func (w *writer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), w.size-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == w.size {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	idx := len(w.hashes)
	if err := os.WriteFile(filepath.Join(w.tmp, strconv.Itoa(idx)), w.buf, 0o644); err != nil {
		return err
	}
	w.hashes = append(w.hashes, sha256Of(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// commit writes the metadata (chunk hashes filled in) and moves the snapshot into place.
func (w *writer) commit(m Metadata) (Metadata, error) {
	if err := w.flush(); err != nil {
		return m, err
	}
	m.ChunkHashes = w.hashes
	if err := os.WriteFile(filepath.Join(w.tmp, metadataFile), m.Marshal(), 0o644); err != nil {
		return m, err
	}
	final := w.f.path(w.height)
	if err := os.RemoveAll(final); err != nil {
		return m, err
	}
	return m, os.Rename(w.tmp, final)
}

func (w *writer) abort() { _ = os.RemoveAll(w.tmp) }
