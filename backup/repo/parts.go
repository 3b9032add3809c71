package repo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/x/backup"
)

// SnapshotIndexVersion marks a snapshot chunk that holds an index of parts
// instead of the whole manifest (SnapshotVersion). A manifest that fits in
// one chunk is still stored whole, as before, so older agents read it.
const SnapshotIndexVersion = 2

// SnapshotIndex is what the snapshot chunk holds when the manifest is too
// large for one chunk (~200k files make 64 MiB): the manifest's header and
// the ids of its parts, in order. Each part is a data chunk holding whole
// entries as JSON lines, so parts are sealed, deduplicated, challenged,
// replicated and verified like any other chunk, and an unchanged stretch of
// the tree is the same part in the next snapshot.
type SnapshotIndex struct {
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`
	Source  string    `json:"source"`
	Parent  string    `json:"parent,omitempty"`
	Files   int       `json:"files"` // entries across the parts
	Parts   []wire.ID `json:"parts"`
}

// Part sizes: content-defined cuts between entries (after an entry whose
// line hash has the low bits zero, once the part holds minPart bytes),
// forced before maxPart. An entry is never split, so a part decodes alone.
const (
	minPart     = 256 << 10
	maxPart     = 4 << 20
	partCutMask = 1<<9 - 1
	// MaxPartSize bounds a decoded part: one entry larger than maxPart (a
	// file of tens of thousands of chunks) makes a part of its own, up to
	// what a chunk may hold.
	MaxPartSize = backup.MaxChunkSize - 4096
	// maxParts bounds an index: parts hold at least one entry each.
	maxParts = maxSnapshotFiles
)

// SplitFiles cuts the entries into parts and hands each, in order, to emit
// (which may keep the slice). Memory is one part at a time.
func SplitFiles(files []File, emit func(part []byte) error) error {
	var part bytes.Buffer
	for i := range files {
		line, err := json.Marshal(&files[i])
		if err != nil {
			return err
		}
		line = append(line, '\n')
		if len(line) > MaxPartSize {
			return fmt.Errorf("the manifest entry of %s is %d bytes (%d chunks), over the %d a part may hold", files[i].Path, len(line), len(files[i].Chunks), MaxPartSize)
		}
		if part.Len() > 0 && part.Len()+len(line) > maxPart {
			if err := emit(bytes.Clone(part.Bytes())); err != nil {
				return err
			}
			part.Reset()
		}
		part.Write(line)
		h := fnv.New64a()
		h.Write(line)
		if part.Len() >= minPart && h.Sum64()&partCutMask == 0 {
			if err := emit(bytes.Clone(part.Bytes())); err != nil {
				return err
			}
			part.Reset()
		}
	}
	if part.Len() > 0 {
		return emit(bytes.Clone(part.Bytes()))
	}
	return nil
}

// DecodePart reads the entries of one part (fuzzed). first is the index of
// its first entry in the manifest (for messages).
func DecodePart(b []byte, first int) ([]File, error) {
	if len(b) == 0 || len(b) > MaxPartSize {
		return nil, fmt.Errorf("snapshot part of %d bytes: want 1 to %d", len(b), MaxPartSize)
	}
	if b[len(b)-1] != '\n' {
		return nil, errors.New("snapshot part does not end with a whole entry")
	}
	var out []File
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte{'\n'})
		b = rest
		var f File
		if err := json.Unmarshal(line, &f); err != nil {
			return nil, fmt.Errorf("snapshot entry %d: %w", first+len(out), err)
		}
		if err := checkFile(first+len(out), f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// EncodeIndex serialises an index.
func EncodeIndex(x *SnapshotIndex) ([]byte, error) { return json.Marshal(x) }

// DecodeStored reads a snapshot chunk as stored on holders (fuzzed): a
// whole manifest (version 1) or an index of parts (version 2); exactly one
// of the results is set.
func DecodeStored(b []byte) (*Snapshot, *SnapshotIndex, error) {
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, nil, fmt.Errorf("snapshot manifest: %w", err)
	}
	if v.Version != SnapshotIndexVersion {
		s, err := DecodeSnapshot(b)
		return s, nil, err
	}
	var x SnapshotIndex
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, nil, fmt.Errorf("snapshot index: %w", err)
	}
	if len(x.Parts) == 0 || len(x.Parts) > maxParts {
		return nil, nil, fmt.Errorf("snapshot index lists %d parts: want 1 to %d", len(x.Parts), maxParts)
	}
	if x.Files < len(x.Parts) || x.Files > maxSnapshotFiles {
		return nil, nil, fmt.Errorf("snapshot index counts %d files in %d parts: want %d to %d", x.Files, len(x.Parts), len(x.Parts), maxSnapshotFiles)
	}
	return nil, &x, nil
}

// Header is the manifest an index describes, without its entries.
func (x *SnapshotIndex) Header() *Snapshot {
	return &Snapshot{Version: SnapshotVersion, Time: x.Time, Host: x.Host, Source: x.Source, Parent: x.Parent, Parts: x.Parts}
}
