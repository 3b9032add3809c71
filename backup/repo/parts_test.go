package repo

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/x/backup"
)

// syntheticFiles builds n entries the way a walk of a large tree does:
// directories of 100 files, three chunks a file.
func syntheticFiles(n int) []File {
	fs := make([]File, 0, n+n/100)
	for i := range n {
		if i%100 == 0 {
			fs = append(fs, File{Path: fmt.Sprintf("dir-%05d", i/100), Type: TypeDir, Mode: 0o755, MTime: int64(i)})
		}
		f := File{Path: fmt.Sprintf("dir-%05d/file-%07d.dat", i/100, i), Type: TypeFile, Mode: 0o644, Size: 3 << 20, MTime: 1_700_000_000_000_000_000 + int64(i), Inode: uint64(i)}
		for j := range 3 {
			var id wire.ID
			binary.BigEndian.PutUint64(id[:], uint64(i))
			id[8] = byte(j)
			f.Chunks = append(f.Chunks, id)
		}
		fs = append(fs, f)
	}
	return fs
}

// A manifest of 210k files is over the 64 MiB a chunk may hold; as parts
// every part fits, decodes alone, and the parts give the entries back.
// One changed file changes few parts (the rest are deduplicated).
func TestLargeManifestSplitsIntoParts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 70 MiB manifest")
	}
	files := syntheticFiles(210_000)
	whole, err := EncodeSnapshot(&Snapshot{Version: SnapshotVersion, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) <= backup.MaxChunkSize {
		t.Fatalf("the synthetic manifest is %d bytes: not over a chunk's %d", len(whole), backup.MaxChunkSize)
	}
	var parts [][]byte
	split := func(fs []File) [][]byte {
		var out [][]byte
		if err := SplitFiles(fs, func(p []byte) error { out = append(out, p); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	parts = split(files)
	var got []File
	for i, p := range parts {
		if len(p) > maxPart {
			t.Fatalf("part %d is %d bytes, over %d", i, len(p), maxPart)
		}
		if i < len(parts)-1 && len(p) < minPart {
			t.Fatalf("part %d is %d bytes, under %d", i, len(p), minPart)
		}
		fs, err := DecodePart(p, len(got))
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		got = append(got, fs...)
	}
	if !reflect.DeepEqual(got, files) {
		t.Fatal("the parts do not give the entries back")
	}
	t.Logf("%d entries, %d bytes whole, %d parts", len(files), len(whole), len(parts))

	// Change one file in the middle and add one: only the parts around
	// them change (on a tenth of the tree, enough for ~17 parts).
	files = files[:21_000]
	edited := append([]File(nil), files[:10_000]...)
	edited = append(edited, File{Path: "dir-00100/new-file", Type: TypeFile, Size: 1, Chunks: []wire.ID{{9}}})
	edited = append(edited, files[10_000:]...)
	edited[15_000].MTime++
	old := map[string]bool{}
	parts = split(files)
	for _, p := range parts {
		old[string(p)] = true
	}
	changed := 0
	for _, p := range split(edited) {
		if !old[string(p)] {
			changed++
		}
	}
	if changed > 6 {
		t.Fatalf("two edits changed %d of %d parts", changed, len(parts))
	}

	// The index round-trips, and a whole (version 1) manifest still decodes as one.
	idx, _ := EncodeIndex(&SnapshotIndex{Version: SnapshotIndexVersion, Time: time.Unix(5, 0).UTC(), Source: "/big", Files: len(files), Parts: make([]wire.ID, len(parts))})
	s, x, err := DecodeStored(idx)
	if err != nil || s != nil || x == nil || x.Files != len(files) || len(x.Parts) != len(parts) || x.Header().Source != "/big" {
		t.Fatalf("index: %v %v %v", s, x, err)
	}
	small, _ := EncodeSnapshot(&Snapshot{Version: SnapshotVersion, Source: "/small", Files: files[:10]})
	if s, x, err := DecodeStored(small); err != nil || x != nil || len(s.Files) != 10 {
		t.Fatalf("version 1 manifest: %v %v %v", s, x, err)
	}
}

func TestDecodePartAndIndexRefusals(t *testing.T) {
	for _, c := range []struct {
		part string
		want string
	}{
		{"", "want 1 to"},
		{`{"path":"a","type":"dir"}`, "does not end with a whole entry"},
		{"{\"path\":\"../a\",\"type\":\"dir\"}\n", "snapshot entry 7: path \"../a\" is not a clean relative path"},
		{"{\"path\":\"a\",\"type\":\"pipe\"}\n", "unknown type"},
		{"not json\n", "snapshot entry 7"},
	} {
		if _, err := DecodePart([]byte(c.part), 7); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("part %q: %v, want %q", c.part, err, c.want)
		}
	}
	if _, err := DecodePart(bytes.Repeat([]byte{'\n'}, MaxPartSize+1), 0); err == nil {
		t.Error("oversized part accepted")
	}
	for _, c := range []struct {
		idx  string
		want string
	}{
		{`{"version":2,"files":1,"parts":[]}`, "lists 0 parts"},
		{`{"version":2,"files":0,"parts":["` + strings.Repeat("00", wire.IDSize) + `"]}`, "counts 0 files in 1 parts"},
		{`{"version":3}`, "this agent reads version 1"},
		{`[`, "snapshot manifest"},
	} {
		if _, _, err := DecodeStored([]byte(c.idx)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("index %q: %v, want %q", c.idx, err, c.want)
		}
	}
}
