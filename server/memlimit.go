package server

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"

	"github.com/selfchain/selfchain/app"
)

// ApplyMemoryLimit sets the Go runtime's soft memory limit from app.toml
// [server] memory-limit, unless the GOMEMLIMIT environment variable is set (the
// runtime applied that at start, and an operator's environment wins over the
// file). It returns the limit in force (math.MaxInt64: none) and where it came
// from. It is process-wide, so `selfchaind start` calls it, not Start: tests run
// many nodes in one process.
func ApplyMemoryLimit(c app.ServerConfig) (limit int64, source string, err error) {
	if env := os.Getenv("GOMEMLIMIT"); env != "" {
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT environment variable", nil
	}
	n, err := c.MemoryLimitBytes()
	if err != nil {
		return 0, "", err
	}
	if n == 0 {
		debug.SetMemoryLimit(math.MaxInt64)
		return math.MaxInt64, "none (app.toml server.memory-limit)", nil
	}
	debug.SetMemoryLimit(n)
	return n, fmt.Sprintf("app.toml server.memory-limit = %q", c.MemoryLimit), nil
}
