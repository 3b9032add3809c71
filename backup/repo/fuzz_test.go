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
