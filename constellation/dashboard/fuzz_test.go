package dashboard

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzUsageFile: whatever usage.json holds, opening it either fails with an
// error or gives a book that exports and saves without a panic.
func FuzzUsageFile(f *testing.F) {
	f.Add([]byte(`{"days":{"acme":{"2026-12-06":{"chain":"acme","day":"2026-12-06","node_hours":1.5,"txs":3}}},"heights":{"acme":10},"bridge_sequences":{"acme/b":4}}`))
	f.Add([]byte(`{"days":{"acme":{"2026-12-06":null}}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, bz []byte) {
		path := filepath.Join(t.TempDir(), "usage.json")
		if err := os.WriteFile(path, bz, 0o600); err != nil {
			t.Fatal(err)
		}
		u, err := openUsage(path)
		if err != nil {
			return
		}
		rows := u.rows(usageQuery{})
		_ = u.rows(usageQuery{chain: "acme", from: "2026-01-01", to: "2026-12-31"})
		if err := writeUsageCSV(discard{}, rows); err != nil {
			t.Fatal(err)
		}
		u.dirty = true
		if err := u.save(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzAuditLog: any audit file reads without a panic, skipping lines that are not entries.
func FuzzAuditLog(f *testing.F) {
	f.Add([]byte(`{"time":"2026-12-06T18:00:00Z","chain":"acme","action":"restart","node":"node1","result":"ok"}` + "\n" + "garbage\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, bz []byte) {
		path := filepath.Join(t.TempDir(), "audit.log")
		if err := os.WriteFile(path, bz, 0o600); err != nil {
			t.Fatal(err)
		}
		a := &auditLog{path: path}
		if n := len(a.last(5)); n > 5 {
			t.Fatalf("%d entries, want at most 5", n)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
