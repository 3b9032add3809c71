package testutil

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TreeSnapshot lists every path under dir, each regular file with a hash of its
// contents: a test that proves "nothing was written" compares two snapshots.
func TreeSnapshot(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		line := p
		if d.Type().IsRegular() {
			bz, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(bz)
			line += " " + hex.EncodeToString(sum[:8])
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot of %s: %v", dir, err)
	}
	sort.Strings(out)
	return out
}
