package holder

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/selfchain/selfchain/backup/wire"
)

// blobs keeps chunk ciphertext as one file per chunk, outside pebble:
//
//	<db>/chunks/<agreement, 16 hex>/<first id byte, 2 hex>/<id, 64 hex>
//
// Megabyte values in an LSM tree are written three times or more (WAL,
// memtable flush, every compaction) and checksummed each time; a file is
// written once and served with sendfile. Pebble keeps the small records
// (inventory, usage, manifests), so the inventory stays one range scan.
//
// Durability: a chunk is written to a temporary file, fsynced, renamed into
// place and its directory fsynced before its inventory record is committed
// (pebble, synced) and the upload acknowledged. A crash in between leaves at
// most an unreferenced file, which the next upload of that chunk replaces.
type blobs struct {
	root string
	mu   sync.Mutex
	dirs map[string]bool // directories known to exist durably
}

func openBlobs(root string) (*blobs, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	return &blobs{root: root, dirs: map[string]bool{}}, nil
}

func (b *blobs) dir(agreement uint64, id wire.ID) string {
	return filepath.Join(b.root, fmt.Sprintf("%016x", agreement), hex.EncodeToString(id[:1]))
}

func (b *blobs) path(agreement uint64, id wire.ID) string {
	return filepath.Join(b.dir(agreement, id), id.String())
}

// put writes a chunk durably (see blobs).
func (b *blobs) put(agreement uint64, id wire.ID, data []byte) error {
	dir := b.dir(agreement, id)
	if err := b.mkdir(dir); err != nil {
		return err
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	tmp := filepath.Join(dir, "tmp-"+hex.EncodeToString(r[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, id.String()))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing chunk %s: %w", id, err)
	}
	return syncDir(dir)
}

// mkdir creates dir and its parents, making each new entry durable.
func (b *blobs) mkdir(dir string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dirs[dir] {
		return nil
	}
	var create []string
	for d := dir; d != b.root; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		create = append(create, d)
	}
	for i := len(create) - 1; i >= 0; i-- {
		if err := os.Mkdir(create[i], 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := syncDir(filepath.Dir(create[i])); err != nil {
			return err
		}
	}
	b.dirs[dir] = true
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// open opens a stored chunk; fs.ErrNotExist if there is none.
func (b *blobs) open(agreement uint64, id wire.ID) (*os.File, int64, error) {
	f, err := os.Open(b.path(agreement, id))
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// get reads a stored chunk.
func (b *blobs) get(agreement uint64, id wire.ID) ([]byte, error) {
	f, n, err := b.open(agreement, id)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make([]byte, n)
	if _, err := io.ReadFull(f, out); err != nil {
		return nil, err
	}
	return out, nil
}

// remove deletes a chunk's file (absent is fine).
func (b *blobs) remove(agreement uint64, id wire.ID) error {
	if err := os.Remove(b.path(agreement, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
