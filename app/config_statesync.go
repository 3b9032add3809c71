package app

import (
	"fmt"

	"github.com/selfchain/selfchain/app/snapshots"
)

// StateSyncConfig is app.toml [state-sync]: the snapshots this node takes and serves to
// nodes joining by state sync (joining itself is config.toml's [statesync]).
type StateSyncConfig struct {
	// SnapshotInterval takes a snapshot every this many heights (0: none).
	SnapshotInterval uint64 `toml:"snapshot-interval"`
	// SnapshotKeepRecent is how many snapshots are kept (the newest).
	SnapshotKeepRecent uint32 `toml:"snapshot-keep-recent"`
	// SnapshotChunkSize is the bytes per chunk; nodes serving the same snapshot to one
	// joiner must agree on it (the chunk hashes are part of the snapshot hash).
	SnapshotChunkSize int `toml:"snapshot-chunk-size"`
	// SnapshotDir is where snapshots are kept: <home>/data/snapshots, set by the node
	// (empty: the app neither takes nor serves snapshots).
	SnapshotDir string `toml:"-"`
}

// DefaultSnapshotInterval: a snapshot every 1000 blocks (~17 min at 1 s blocks) costs a
// background export of the state, and a joining node replays at most 1000 blocks after it.
const DefaultSnapshotInterval = 1000

func defaultStateSyncConfig() StateSyncConfig {
	return StateSyncConfig{SnapshotInterval: DefaultSnapshotInterval, SnapshotKeepRecent: 2, SnapshotChunkSize: snapshots.DefaultChunkSize}
}

// Validate checks [state-sync], naming the bad key.
func (c StateSyncConfig) Validate() error {
	if c.SnapshotInterval > 0 && c.SnapshotKeepRecent == 0 {
		return fmt.Errorf("app.toml state-sync.snapshot-keep-recent: 0 with snapshot-interval %d would delete every snapshot it takes; keep at least 1", c.SnapshotInterval)
	}
	if c.SnapshotChunkSize <= 0 || c.SnapshotChunkSize > snapshots.MaxChunkSize {
		return fmt.Errorf("app.toml state-sync.snapshot-chunk-size: %d, want 1..%d bytes", c.SnapshotChunkSize, snapshots.MaxChunkSize)
	}
	return nil
}

const stateSyncConfigTemplate = `
[state-sync]
# Take a snapshot of the state every this many blocks (0: none), in the background, for
# nodes that join by state sync; kept in <home>/data/snapshots.
snapshot-interval = {{ .StateSync.SnapshotInterval }}
# How many snapshots to keep (the newest).
snapshot-keep-recent = {{ .StateSync.SnapshotKeepRecent }}
# Bytes per snapshot chunk (compressed). Leave the default: peers serving one joiner
# must agree on it.
snapshot-chunk-size = {{ .StateSync.SnapshotChunkSize }}
`
