package keyring

import (
	"os"
	"testing"
)

// TestMain makes argon2id cheap so the suite stays fast; files record the
// parameters they were sealed with, so nothing else changes.
func TestMain(m *testing.M) {
	sealParams = argonParams{Time: 1, MemoryKiB: 64, Threads: 1}
	os.Exit(m.Run())
}
