package store

import (
	"github.com/cockroachdb/pebble"
	dbm "github.com/cosmos/cosmos-db"
)

// pebbleBatch is dbm.Batch on a pebble batch. After Write, WriteSync or Close
// every call but Close returns errBatchClosed, as cosmos-db's does.
type pebbleBatch struct {
	db    *PebbleDB
	batch *pebble.Batch
}

var _ dbm.Batch = (*pebbleBatch)(nil)

// Set implements dbm.Batch.
func (b *pebbleBatch) Set(key, value []byte) error {
	if len(key) == 0 {
		return errKeyEmpty
	}
	if value == nil {
		return errValueNil
	}
	if b.batch == nil {
		return errBatchClosed
	}
	return b.batch.Set(key, value, nil)
}

// Delete implements dbm.Batch.
func (b *pebbleBatch) Delete(key []byte) error {
	if len(key) == 0 {
		return errKeyEmpty
	}
	if b.batch == nil {
		return errBatchClosed
	}
	return b.batch.Delete(key, nil)
}

// Write implements dbm.Batch.
func (b *pebbleBatch) Write() error { return b.commit(pebble.NoSync) }

// WriteSync implements dbm.Batch.
func (b *pebbleBatch) WriteSync() error { return b.commit(pebble.Sync) }

func (b *pebbleBatch) commit(wo *pebble.WriteOptions) error {
	if b.batch == nil {
		return errBatchClosed
	}
	if b.db.closed.Load() {
		return errDBClosed
	}
	if err := b.batch.Commit(wo); err != nil {
		return err
	}
	return b.Close()
}

// Close implements dbm.Batch; closing twice is fine.
func (b *pebbleBatch) Close() error {
	if b.batch == nil {
		return nil
	}
	err := b.batch.Close()
	b.batch = nil
	return err
}

// GetByteSize implements dbm.Batch: the batch's encoded size (12 bytes when empty).
func (b *pebbleBatch) GetByteSize() (int, error) {
	if b.batch == nil {
		return 0, errBatchClosed
	}
	return b.batch.Len(), nil
}
