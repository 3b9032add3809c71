package snapshots

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// Dump writes the snapshot at height as a tar archive: <height>/metadata, <height>/0, ...
func (f *Files) Dump(height int64, w io.Writer) (Metadata, error) {
	m, err := f.Metadata(height)
	if err != nil {
		return m, err
	}
	tw := tar.NewWriter(w)
	add := func(name string, bz []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(bz)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(bz)
		return err
	}
	prefix := strconv.FormatInt(height, 10) + "/"
	if err := add(prefix+metadataFile, m.Marshal()); err != nil {
		return m, err
	}
	for i := range m.ChunkHashes {
		bz, err := f.Chunk(height, uint32(i))
		if err != nil {
			return m, err
		}
		if err := add(prefix+strconv.Itoa(i), bz); err != nil {
			return m, err
		}
	}
	return m, tw.Close()
}

// Load reads a snapshot archive written by Dump, checks every chunk against the
// metadata's hashes and adds the snapshot (replacing one of the same height).
func (f *Files) Load(r io.Reader) (Metadata, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return Metadata{}, fmt.Errorf("snapshot archive: %w", err)
	}
	dir, name, ok := strings.Cut(hdr.Name, "/")
	height, perr := strconv.ParseInt(dir, 10, 64)
	if !ok || name != metadataFile || perr != nil || height <= 0 || hdr.Size > maxMetadata {
		return Metadata{}, fmt.Errorf("snapshot archive: first entry %q, want <height>/%s", hdr.Name, metadataFile)
	}
	bz, err := io.ReadAll(io.LimitReader(tr, maxMetadata))
	if err != nil {
		return Metadata{}, err
	}
	m, err := UnmarshalMetadata(bz)
	if err != nil {
		return m, err
	}
	if m.Height != height {
		return m, fmt.Errorf("snapshot archive: metadata of height %d under %q", m.Height, hdr.Name)
	}
	w, err := f.newWriter(height, 1)
	if err != nil {
		return m, err
	}
	for i, want := range m.ChunkHashes {
		hdr, err := tr.Next()
		if err != nil {
			w.abort()
			return m, fmt.Errorf("snapshot archive: chunk %d: %w", i, err)
		}
		if hdr.Name != dir+"/"+strconv.Itoa(i) || hdr.Size > MaxChunkSize {
			w.abort()
			return m, fmt.Errorf("snapshot archive: entry %q (%d bytes), want chunk %s/%d", hdr.Name, hdr.Size, dir, i)
		}
		chunk, err := io.ReadAll(io.LimitReader(tr, MaxChunkSize))
		if err != nil {
			w.abort()
			return m, err
		}
		if !bytes.Equal(sha256Of(chunk), want) {
			w.abort()
			return m, fmt.Errorf("snapshot archive: chunk %d does not match its hash in the metadata", i)
		}
		if err := os.WriteFile(filepath.Join(w.tmp, strconv.Itoa(i)), chunk, 0o644); err != nil {
			w.abort()
			return m, err
		}
		w.hashes = append(w.hashes, want)
	}
	w.buf = w.buf[:0]
	if _, err := w.commit(m); err != nil {
		w.abort()
		return m, err
	}
	return m, nil
}
