// Command constellation scaffolds, runs and watches corporate Layer-1 chains
// built from SELF Chain: `new`, `apply`, `up`, `status`, `logs`, `down`,
// `list`, `rm`. See docs/CONSTELLATION.md.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
