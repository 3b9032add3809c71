package keyring

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// store holds serialized key files by name. Errors wrap fs.ErrNotExist
// and fs.ErrExist so the keyring can map them to its own.
type store interface {
	read(name string) ([]byte, error)
	create(name string, data []byte) error // never overwrites
	remove(name string) error
	names() ([]string, error) // sorted
}

const keyFileExt = ".json"

// dirStore keeps one 0600 file per key in a 0700 directory.
type dirStore struct{ dir string }

func (s dirStore) path(name string) string { return filepath.Join(s.dir, name+keyFileExt) }

func (s dirStore) read(name string) ([]byte, error) { return os.ReadFile(s.path(name)) }

func (s dirStore) remove(name string) error {
	if err := os.Remove(s.path(name)); err != nil {
		return err
	}
	syncDir(s.dir)
	return nil
}

// create writes to a temp file, syncs it, then moves it into place, so a
// crash never leaves a half-written key file behind.
func (s dirStore) create(name string, data []byte) (err error) {
	tmp, err := os.CreateTemp(s.dir, ".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	final := s.path(name)
	// A hard link is an atomic "create if absent", so even two processes
	// cannot overwrite each other's key. Fall back to rename where links
	// are not supported.
	if lerr := os.Link(tmp.Name(), final); lerr == nil {
		os.Remove(tmp.Name())
	} else if errors.Is(lerr, fs.ErrExist) {
		err = lerr
		return err
	} else {
		if _, serr := os.Lstat(final); serr == nil {
			err = &fs.PathError{Op: "create", Path: final, Err: fs.ErrExist}
			return err
		}
		if err = os.Rename(tmp.Name(), final); err != nil {
			return err
		}
	}
	syncDir(s.dir)
	return nil
}

func (s dirStore) names() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), keyFileExt)
		if ok && e.Type().IsRegular() && validateName(n) == nil {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// syncDir makes a rename or removal durable; best effort, since not every
// platform can fsync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// memStore keeps serialized key files in memory, so the memory backend
// exercises the same encoding as the disk ones.
type memStore struct {
	mu    sync.Mutex
	files map[string][]byte
}

func newMemStore() *memStore { return &memStore{files: map[string][]byte{}} }

func (s *memStore) read(name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return bytes.Clone(b), nil
}

func (s *memStore) create(name string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.files[name]; ok {
		return fs.ErrExist
	}
	s.files[name] = bytes.Clone(data)
	return nil
}

func (s *memStore) remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.files[name]; !ok {
		return fs.ErrNotExist
	}
	delete(s.files, name)
	return nil
}

func (s *memStore) names() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.files))
	for n := range s.files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
