package repo

import (
	"strings"
	"testing"
)

func TestDecodeSnapshotRefusesEscapingPaths(t *testing.T) {
	for _, p := range []string{"../x", "/etc/passwd", "a/../../x", "a//b", "", ".", "a\\..\\b"} {
		b := []byte(`{"version":1,"files":[{"path":` + quote(p) + `,"type":"file"}]}`)
		if _, err := DecodeSnapshot(b); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	if _, err := DecodeSnapshot([]byte(`{"version":2}`)); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("version 2: %v", err)
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }
