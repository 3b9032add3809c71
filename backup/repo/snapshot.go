package repo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/selfchain/selfchain/backup/wire"
)

// Entry types in a snapshot.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
)

// SnapshotVersion is the manifest format version.
const SnapshotVersion = 1

// Snapshot is a snapshot manifest: the file tree and each file's chunks. It
// is stored on holders sealed, as a chunk of kind snapshot.
type Snapshot struct {
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`
	Source  string    `json:"source"`           // the directory backed up
	Parent  string    `json:"parent,omitempty"` // id of the snapshot this one was compared with
	Files   []File    `json:"files"`            // in walk (lexical) order, directories before their contents
	// Parts: the chunks holding Files on the holders when the manifest was
	// too large for one chunk (SnapshotIndex); set in the local index only,
	// so that forget keeps them.
	Parts []wire.ID `json:"parts,omitempty"`
}

// File is one entry of the tree. Paths are slash-separated, relative to Source.
type File struct {
	Path   string      `json:"path"`
	Type   string      `json:"type"`
	Mode   fs.FileMode `json:"mode"`
	Size   int64       `json:"size,omitempty"`
	MTime  int64       `json:"mtime"` // unix nanoseconds
	Inode  uint64      `json:"inode,omitempty"`
	Target string      `json:"target,omitempty"` // symlinks
	Chunks []wire.ID   `json:"chunks,omitempty"`
}

// maxSnapshotFiles bounds a decoded manifest.
const maxSnapshotFiles = 1 << 24

// EncodeSnapshot serialises a manifest.
func EncodeSnapshot(s *Snapshot) ([]byte, error) { return json.Marshal(s) }

// DecodeSnapshot parses and checks a manifest (fuzzed). A manifest is
// authenticated by its seal, but restore still refuses paths that would
// leave the target directory.
func DecodeSnapshot(b []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("snapshot manifest: %w", err)
	}
	if s.Version != SnapshotVersion {
		return nil, fmt.Errorf("snapshot manifest version %d: this agent reads version %d", s.Version, SnapshotVersion)
	}
	if len(s.Files) > maxSnapshotFiles {
		return nil, fmt.Errorf("snapshot manifest lists %d files: at most %d", len(s.Files), maxSnapshotFiles)
	}
	if len(s.Parts) > maxParts {
		return nil, fmt.Errorf("snapshot manifest lists %d parts: at most %d", len(s.Parts), maxParts)
	}
	for i, f := range s.Files {
		if err := checkFile(i, f); err != nil {
			return nil, err
		}
	}
	return &s, nil
}

// checkFile checks entry i of a manifest.
func checkFile(i int, f File) error {
	if err := checkPath(f.Path); err != nil {
		return fmt.Errorf("snapshot entry %d: %w", i, err)
	}
	switch f.Type {
	case TypeFile:
		if f.Size < 0 {
			return fmt.Errorf("snapshot entry %d (%s): negative size", i, f.Path)
		}
	case TypeDir, TypeSymlink:
		if len(f.Chunks) > 0 {
			return fmt.Errorf("snapshot entry %d (%s): a %s has no chunks", i, f.Path, f.Type)
		}
	default:
		return fmt.Errorf("snapshot entry %d (%s): unknown type %q", i, f.Path, f.Type)
	}
	return nil
}

func checkPath(p string) error {
	if p == "" || p == "." {
		return errors.New("empty path")
	}
	if strings.HasPrefix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") || strings.ContainsRune(p, 0) || strings.Contains(p, "\\") {
		return fmt.Errorf("path %q is not a clean relative path", p)
	}
	return nil
}
