package app

import (
	"fmt"

	"github.com/selfchain/selfchain/app/store"
)

// DefaultMemoryLimit is app.toml [server] memory-limit when init writes it:
// the Go runtime's soft limit. Measured in docs/PERFORMANCE.md ("Memory"): with
// it, a node under saturating load stays under the 400 MiB RSS target.
const DefaultMemoryLimit = "300MiB"

// ServerConfig is app.toml [server]: settings of the node process.
type ServerConfig struct {
	// MemoryLimit is the Go runtime's soft memory limit (runtime/debug.SetMemoryLimit),
	// e.g. "300MiB"; "0" or empty: none. The GOMEMLIMIT environment variable wins.
	// It bounds the Go heap, not pebble's block cache (allocated outside it).
	MemoryLimit string `toml:"memory-limit"`
}

// MemoryLimitBytes is MemoryLimit in bytes, 0 for none.
func (c ServerConfig) MemoryLimitBytes() (int64, error) {
	if c.MemoryLimit == "" {
		return 0, nil
	}
	n, err := store.ParseByteSize(c.MemoryLimit)
	if err != nil {
		return 0, fmt.Errorf("app.toml server.memory-limit: %w", err)
	}
	if n != 0 && n < 64<<20 {
		return 0, fmt.Errorf("app.toml server.memory-limit: %s is below 64MiB, where the Go runtime would spend most of its time collecting garbage; use \"0\" for no limit", c.MemoryLimit)
	}
	return n, nil
}

const serverConfigTemplate = `
[server]
# The Go runtime's soft memory limit (what GOMEMLIMIT sets), e.g. "300MiB"; "0": none.
# Near it the garbage collector runs more often instead of letting the heap grow; it
# does not cap pebble's block cache (the [state] cache above), which comes on top.
# The GOMEMLIMIT environment variable, when set, wins over this.
memory-limit = "{{ .Server.MemoryLimit }}"
`
