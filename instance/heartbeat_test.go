package instance

import (
	"testing"

	"github.com/selfchain/selfchain/x/registry"
)

// TestHeartbeatBlocks: the interval is the configured one, else a quarter of the
// registry's stale_after_blocks (at least 1); a negative setting is refused.
func TestHeartbeatBlocks(t *testing.T) {
	p := registry.DefaultParams()
	c := DefaultConfig()
	if got := HeartbeatBlocks(c, p); got != p.StaleAfterBlocks/4 || got != 150 {
		t.Fatalf("derived interval %d", got)
	}
	p.StaleAfterBlocks = 3
	if got := HeartbeatBlocks(c, p); got != 1 {
		t.Fatalf("tiny stale_after_blocks: %d", got)
	}
	c.HeartbeatBlocks = 7
	if got := HeartbeatBlocks(c, p); got != 7 {
		t.Fatalf("configured interval: %d", got)
	}
	c.HeartbeatBlocks = -1
	c.Owner, c.OwnerAddress, c.Node, c.ChainID, c.TrustHeight, c.TrustHash = "o", "a", "tcp://x", "c", 1, "h"
	if err := c.Validate(); err == nil {
		t.Fatal("negative heartbeat_blocks accepted")
	}
}
