package store

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DefaultDBCacheBytes is pebble's block cache when app.toml sets none. Chosen by
// measurement (docs/PERFORMANCE.md, "Pebble block cache"): an upgrade migrating
// 1,000,000 records ran on as little CPU with 128 MiB as with 256 MiB (64 MiB cost
// more), and a node pays for it in RSS only as its state grows into it.
const DefaultDBCacheBytes = 128 << 20

// byteUnits are the suffixes ParseByteSize takes, longest first so "MiB" is not read as "B".
var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

// ParseByteSize reads a size such as "256MiB", "1GiB", "64MB" or "1048576" (bytes).
func ParseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size: want a whole number of bytes or one with KiB, MiB, GiB, KB, MB or GB, e.g. 256MiB", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// FormatByteSize writes n the way ParseByteSize reads it, in the largest binary unit that divides it.
func FormatByteSize(n int64) string {
	for _, u := range byteUnits[:3] {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
