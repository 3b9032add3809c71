package server

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/selfchain/selfchain/app"
)

// app.toml's memory-limit becomes the runtime's limit; "0" leaves none; the
// GOMEMLIMIT environment variable wins over the file; a bad value changes nothing.
func TestApplyMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	t.Setenv("GOMEMLIMIT", "")

	limit, source, err := ApplyMemoryLimit(app.ServerConfig{MemoryLimit: "300MiB"})
	if err != nil || limit != 300<<20 || debug.SetMemoryLimit(-1) != 300<<20 {
		t.Fatalf("300MiB: limit %d (%s), err %v, runtime %d", limit, source, err, debug.SetMemoryLimit(-1))
	}
	if _, _, err := ApplyMemoryLimit(app.ServerConfig{MemoryLimit: "lots"}); err == nil {
		t.Fatal("a bad size must be refused")
	}
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Fatalf("a refused value changed the limit to %d", got)
	}

	limit, _, err = ApplyMemoryLimit(app.ServerConfig{MemoryLimit: "0"})
	if err != nil || limit != math.MaxInt64 {
		t.Fatalf(`"0": limit %d, err %v; want none`, limit, err)
	}
	t.Setenv("GOMEMLIMIT", "1GiB") // as if the runtime had read it at start
	debug.SetMemoryLimit(1 << 30)
	limit, source, err = ApplyMemoryLimit(app.ServerConfig{MemoryLimit: "300MiB"})
	if err != nil || limit != 1<<30 || source != "GOMEMLIMIT environment variable" {
		t.Fatalf("GOMEMLIMIT set: limit %d (%s), err %v", limit, source, err)
	}
}
