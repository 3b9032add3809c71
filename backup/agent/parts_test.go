package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeManyFiles makes n small files in directories of 100.
func writeManyFiles(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		d := filepath.Join(dir, fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			must(t, os.MkdirAll(d, 0o755))
		}
		must(t, os.WriteFile(filepath.Join(d, fmt.Sprintf("file-with-a-longish-name-%05d.txt", i)), fmt.Appendf(nil, "file %d\n", i), 0o644))
	}
}

// A manifest over the one-chunk limit (lowered here) is stored as parts and
// an index: a fresh machine lists it (with an older whole manifest) and
// restores it from the holders, an unchanged re-run uploads no part again,
// and forget keeps the parts a remaining snapshot uses.
func TestManifestStoredAsParts(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 2, 1<<30)
	src := t.TempDir()
	writeManyFiles(t, src, 2500)
	a := e.agent(t)
	v1, err := a.Run(ctx, src) // whole manifest, as before
	must(t, err)
	a.maxManifest = 4 << 10
	var out strings.Builder
	a.Out = &out
	r1, err := a.Run(ctx, src)
	must(t, err)
	if !strings.Contains(out.String(), "is stored as") {
		t.Fatalf("no parts reported:\n%s", out.String())
	}
	info, err := a.Repo.FindSnapshot(r1.Snapshot.String())
	must(t, err)
	if len(info.Snapshot.Parts) < 2 {
		t.Fatalf("%d parts, want at least 2 (the entries are ~%d KiB)", len(info.Snapshot.Parts), 2500*150>>10)
	}
	// Unchanged: the parts are deduplicated; only the new index is sent.
	r2, err := a.Run(ctx, src)
	must(t, err)
	if r2.NewChunks > 1 {
		t.Fatalf("unchanged re-run stored %d new chunks, want at most the index", r2.NewChunks)
	}

	// A fresh machine lists the holders' snapshots (the whole one and the
	// parted ones, every part fetched and checked) and restores the parted one.
	e.repoDir = t.TempDir()
	b := e.agent(t, 1)
	remote, err := b.RemoteSnapshots(ctx)
	must(t, err)
	if len(remote) != 3 {
		t.Fatalf("%d remote snapshots, want 3", len(remote))
	}
	for _, s := range remote {
		if len(s.Snapshot.Files) != 2500+25 {
			t.Fatalf("remote snapshot %s lists %d entries", s.ID.String()[:8], len(s.Snapshot.Files))
		}
		if (s.ID == v1.Snapshot) != (len(s.Snapshot.Parts) == 0) {
			t.Fatalf("snapshot %s has %d parts", s.ID.String()[:8], len(s.Snapshot.Parts))
		}
	}
	dst := t.TempDir()
	res, err := b.Restore(ctx, r1.Snapshot.String(), dst)
	must(t, err)
	if res.Files != 2500+25 {
		t.Fatalf("restored %d entries", res.Files)
	}
	sameTree(t, src, dst)

	// Forget the parted snapshot r1: r2 uses the same parts, so they stay
	// in the committed manifests (a chunk outside them cannot be fetched).
	_, err = a.Forget(ctx, r1.Snapshot.String())
	must(t, err)
	remote, err = b.RemoteSnapshots(ctx)
	must(t, err)
	if len(remote) != 2 || len(remote[1].Snapshot.Files) != 2500+25 {
		t.Fatalf("after forget: %d remote snapshots", len(remote))
	}
}
