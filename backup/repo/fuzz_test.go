package repo

import (
	"testing"
	"time"

	"github.com/selfchain/selfchain/backup/wire"
)

func FuzzDecodeSnapshot(f *testing.F) {
	good, _ := EncodeSnapshot(&Snapshot{Version: SnapshotVersion, Time: time.Unix(1, 0).UTC(), Source: "/data", Files: []File{
		{Path: "a", Type: TypeDir, Mode: 0o755},
		{Path: "a/b", Type: TypeFile, Size: 3, Chunks: []wire.ID{{1}}},
		{Path: "l", Type: TypeSymlink, Target: "a/b"},
	}})
	f.Add(good)
	f.Add([]byte(`{"version":1,"files":[{"path":"../etc/passwd","type":"file"}]}`))
	f.Add([]byte(`{"version":1,"files":[{"path":"/abs","type":"dir"}]}`))
	f.Add([]byte(`{"version":1,"files":[{"path":"x","type":"file","chunks":["00"]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSnapshot(b)
		if err != nil {
			return
		}
		for _, fl := range s.Files {
			if checkPath(fl.Path) != nil {
				t.Fatalf("accepted path %q", fl.Path)
			}
		}
		again, err := EncodeSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeSnapshot(again); err != nil {
			t.Fatalf("re-encoded manifest does not decode: %v", err)
		}
	})
}

func FuzzDecodePart(f *testing.F) {
	var parts [][]byte
	_ = SplitFiles([]File{{Path: "a", Type: TypeDir, Mode: 0o755}, {Path: "a/b", Type: TypeFile, Size: 3, Chunks: []wire.ID{{1}}}}, func(p []byte) error {
		parts = append(parts, p)
		return nil
	})
	for _, p := range parts {
		f.Add(p)
	}
	f.Add([]byte("{\"path\":\"../x\",\"type\":\"file\"}\n"))
	f.Add([]byte("{\"path\":\"x\",\"type\":\"dir\"}"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := DecodePart(b, 0)
		if err != nil {
			return
		}
		for _, fl := range fs {
			if checkPath(fl.Path) != nil {
				t.Fatalf("accepted path %q", fl.Path)
			}
		}
		// What decodes splits back into parts that decode to the same entries.
		var n int
		if err := SplitFiles(fs, func(p []byte) error {
			got, err := DecodePart(p, n)
			n += len(got)
			return err
		}); err != nil || n != len(fs) {
			t.Fatalf("re-split: %d of %d entries, %v", n, len(fs), err)
		}
	})
}

func FuzzDecodeStored(f *testing.F) {
	idx, _ := EncodeIndex(&SnapshotIndex{Version: SnapshotIndexVersion, Time: time.Unix(1, 0).UTC(), Source: "/data", Files: 2, Parts: []wire.ID{{1}, {2}}})
	f.Add(idx)
	v1, _ := EncodeSnapshot(&Snapshot{Version: SnapshotVersion, Files: []File{{Path: "a", Type: TypeDir}}})
	f.Add(v1)
	f.Add([]byte(`{"version":2,"files":1,"parts":[]}`))
	f.Add([]byte(`{"version":2,"files":-1,"parts":["00"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, x, err := DecodeStored(b)
		if err != nil {
			if s != nil || x != nil {
				t.Fatal("a result with an error")
			}
			return
		}
		if (s == nil) == (x == nil) {
			t.Fatalf("want exactly one result: %v %v", s, x)
		}
		if x != nil && (len(x.Parts) == 0 || x.Files < len(x.Parts) || x.Files > maxSnapshotFiles) {
			t.Fatalf("accepted index with %d parts and %d files", len(x.Parts), x.Files)
		}
	})
}
