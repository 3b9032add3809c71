package snapshots

import (
	"compress/zlib"
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/selfchain/selfchain/app/store"
)

// DefaultChunkSize is the bytes of compressed stream per chunk: a few MB keeps the number
// of p2p requests low and each one well under CometBFT's 16 MB chunk message limit.
const DefaultChunkSize = 4 << 20

// MaxChunkSize bounds a chunk a restore accepts (CometBFT's chunk channel carries 16 MB).
const MaxChunkSize = 16 << 20

func sha256Of(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// Create writes the snapshot of committed version height of ms into files. ms may keep
// committing meanwhile: the export reads the version through its own trees and holds it
// against pruning. ctx stops it (the partial snapshot is removed).
func Create(ctx context.Context, ms *store.MultiStore, files *Files, height int64, chainID string, blockTime int64, chunkSize int) (Metadata, error) {
	if chunkSize <= 0 || chunkSize > MaxChunkSize {
		return Metadata{}, fmt.Errorf("snapshots: chunk size %d, want 1..%d", chunkSize, MaxChunkSize)
	}
	roots, err := ms.Roots(height)
	if err != nil {
		return Metadata{}, err
	}
	w, err := files.newWriter(height, chunkSize)
	if err != nil {
		return Metadata{}, fmt.Errorf("snapshots: %w", err)
	}
	zw, err := zlib.NewWriterLevel(w, zlib.BestSpeed)
	if err != nil {
		w.abort()
		return Metadata{}, err
	}
	if err := ms.ExportSnapshot(ctx, height, zw); err != nil {
		w.abort()
		return Metadata{}, err
	}
	if err := zw.Close(); err != nil {
		w.abort()
		return Metadata{}, err
	}
	m, err := w.commit(Metadata{Height: height, ChainID: chainID, BlockTime: blockTime, Stores: roots})
	if err != nil {
		w.abort()
		return m, fmt.Errorf("snapshots: write snapshot %d: %w", height, err)
	}
	return m, nil
}
