package snapshots

import (
	"context"
	"errors"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"

	"github.com/selfchain/selfchain/app/store"
)

// Manager takes a snapshot every Interval heights in a background goroutine, keeps the
// newest KeepRecent, and serves them to peers.
type Manager struct {
	files     *Files
	ms        *store.MultiStore
	logger    log.Logger
	interval  uint64
	keep      int
	chunkSize int

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	busy   bool // one snapshot at a time: a height reached while one runs is skipped
}

// NewManager serves and takes snapshots in dir; interval 0 only serves what is there.
func NewManager(dir string, ms *store.MultiStore, interval uint64, keep, chunkSize int, logger log.Logger) *Manager {
	if chunkSize <= 0 {
		chunkSize = DefaultChunkSize
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{files: NewFiles(dir), ms: ms, logger: logger, interval: interval, keep: keep, chunkSize: chunkSize, ctx: ctx, cancel: cancel}
}

// Files is the snapshot directory.
func (m *Manager) Files() *Files { return m.files }

// Committed is called after height commits: at every Interval-th height it starts a
// snapshot of that version in the background and returns at once. The version is held
// against pruning before Committed returns.
func (m *Manager) Committed(height int64, chainID string, blockTime time.Time) {
	if m.interval == 0 || height <= 0 || uint64(height)%m.interval != 0 {
		return
	}
	m.mu.Lock()
	if m.busy || m.ctx.Err() != nil {
		m.mu.Unlock()
		m.logger.Info("snapshot skipped: the previous one is still being written", "height", height)
		return
	}
	m.busy = true
	m.mu.Unlock()
	release, err := m.ms.Hold(height)
	if err != nil {
		m.finish(Metadata{}, err, height, time.Now())
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer release()
		start := time.Now()
		meta, err := Create(m.ctx, m.ms, m.files, height, chainID, blockTime.UnixNano(), m.chunkSize)
		if err == nil {
			err = m.files.Prune(m.keep)
		}
		m.finish(meta, err, height, start)
	}()
}

func (m *Manager) finish(meta Metadata, err error, height int64, start time.Time) {
	switch {
	case err == nil:
		m.logger.Info("snapshot taken", "height", height, "chunks", len(meta.ChunkHashes), "took", time.Since(start).Round(time.Millisecond))
	case errors.Is(err, context.Canceled):
		m.logger.Info("snapshot stopped by shutdown", "height", height)
	default:
		m.logger.Error("snapshot failed", "height", height, "err", err)
	}
	m.mu.Lock()
	m.busy = false
	m.mu.Unlock()
}

// List returns the kept snapshots, newest first, as CometBFT wants them.
func (m *Manager) List() ([]*abci.Snapshot, error) {
	hs, err := m.files.Heights()
	if err != nil {
		return nil, err
	}
	var out []*abci.Snapshot
	for _, h := range hs {
		meta, err := m.files.Metadata(h)
		if err != nil {
			m.logger.Error("unreadable snapshot skipped", "height", h, "err", err)
			continue
		}
		out = append(out, ABCISnapshot(meta))
	}
	return out, nil
}

// ABCISnapshot is how a snapshot is announced to peers.
func ABCISnapshot(meta Metadata) *abci.Snapshot {
	bz := meta.Marshal()
	return &abci.Snapshot{Height: uint64(meta.Height), Format: Format, Chunks: uint32(len(meta.ChunkHashes)), Hash: sha256Of(bz), Metadata: bz}
}

// LoadChunk returns a chunk as stored, or nil when there is no such snapshot or chunk.
// It does not re-check the chunk's hash: the restoring node does.
func (m *Manager) LoadChunk(height uint64, format, index uint32) []byte {
	if format != Format || height == 0 || height > 1<<62 {
		return nil
	}
	bz, err := m.files.Chunk(int64(height), index)
	if err != nil {
		return nil
	}
	return bz
}

// Close stops a running snapshot and waits for it.
func (m *Manager) Close() {
	m.cancel()
	m.wg.Wait()
}
