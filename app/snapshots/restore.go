package snapshots

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/store"
)

// CheckOffer decides an offered snapshot before any chunk is fetched: the format, the
// metadata (its hash is the snapshot hash), the store set of this binary, and the tree
// roots, whose app hash must be the light-client-verified appHash.
func CheckOffer(s *abci.Snapshot, appHash []byte, names []string) (Metadata, abci.ResponseOfferSnapshot_Result, error) {
	if s == nil {
		return Metadata{}, abci.ResponseOfferSnapshot_REJECT, errors.New("no snapshot")
	}
	if s.Format != Format {
		return Metadata{}, abci.ResponseOfferSnapshot_REJECT_FORMAT, fmt.Errorf("format %d, this binary restores format %d", s.Format, Format)
	}
	m, err := UnmarshalMetadata(s.Metadata)
	if err != nil {
		return m, abci.ResponseOfferSnapshot_REJECT, err
	}
	switch {
	case !bytes.Equal(m.Hash(), s.Hash):
		return m, abci.ResponseOfferSnapshot_REJECT, fmt.Errorf("snapshot hash %X is not the hash of its metadata %X", s.Hash, m.Hash())
	case uint64(m.Height) != s.Height:
		return m, abci.ResponseOfferSnapshot_REJECT, fmt.Errorf("metadata height %d, snapshot height %d", m.Height, s.Height)
	case uint64(len(m.ChunkHashes)) != uint64(s.Chunks):
		return m, abci.ResponseOfferSnapshot_REJECT, fmt.Errorf("metadata lists %d chunks, snapshot %d", len(m.ChunkHashes), s.Chunks)
	}
	if len(m.Stores) != len(names) {
		return m, abci.ResponseOfferSnapshot_REJECT, fmt.Errorf("snapshot of %d stores, this binary has %d (%v)", len(m.Stores), len(names), names)
	}
	for i, r := range m.Stores {
		if r.Name != names[i] {
			return m, abci.ResponseOfferSnapshot_REJECT, fmt.Errorf("snapshot has store %q where this binary has %q", r.Name, names[i])
		}
	}
	if got := store.AppHashOf(m.Stores); !bytes.Equal(got, appHash) {
		return m, abci.ResponseOfferSnapshot_REJECT, fmt.Errorf("snapshot roots give app hash %X, the verified header says %X", got, appHash)
	}
	return m, abci.ResponseOfferSnapshot_ACCEPT, nil
}

var errAborted = errors.New("snapshots: restore aborted")

// Restore applies one accepted snapshot's chunks, in order, to an empty store: each chunk
// is checked against its hash in the metadata, then streamed through the decompressor into
// store.RestoreSnapshot, which runs in its own goroutine and commits only a state whose app
// hash is the verified one.
type Restore struct {
	Meta    Metadata
	appHash []byte
	next    uint32

	in   chan []byte
	ack  chan struct{}
	quit chan struct{}
	done chan struct{}
	id   store.CommitID
	err  error // set before done closes
}

// StartRestore begins restoring m (already accepted by CheckOffer) into ms.
func StartRestore(ms *store.MultiStore, m Metadata, appHash []byte) *Restore {
	r := &Restore{
		Meta: m, appHash: bytes.Clone(appHash),
		in: make(chan []byte), ack: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{}),
	}
	go func() {
		defer close(r.done)
		f := &feed{r: r}
		zr, err := zlib.NewReader(f)
		if err != nil {
			r.err = fmt.Errorf("%w: %w", store.ErrSnapshotStream, err)
			return
		}
		r.id, r.err = ms.RestoreSnapshot(m.Height, zr, appHash)
	}()
	return r
}

// feed hands the restore goroutine one chunk at a time and tells Apply (ack) when the
// decoder has used a chunk up and wants the next.
type feed struct {
	r       *Restore
	cur     []byte
	started bool
}

func (f *feed) Read(p []byte) (int, error) {
	for len(f.cur) == 0 {
		if f.started {
			select {
			case f.r.ack <- struct{}{}:
			case <-f.r.quit:
				return 0, errAborted
			}
		}
		select {
		case c, ok := <-f.r.in:
			if !ok {
				return 0, io.EOF
			}
			f.cur, f.started = c, true
		case <-f.r.quit:
			return 0, errAborted
		}
	}
	n := copy(p, f.cur)
	f.cur = f.cur[n:]
	return n, nil
}

// Apply applies chunk index from sender. Done reports a finished restore: the store then
// holds the snapshot's version, committed.
func (r *Restore) Apply(index uint32, chunk []byte, sender string) (resp *abci.ResponseApplySnapshotChunk, done bool, err error) {
	total := uint32(len(r.Meta.ChunkHashes))
	switch {
	case index != r.next:
		// CometBFT applies chunks in order; anything else restarts the snapshot.
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_RETRY_SNAPSHOT}, false,
			fmt.Errorf("chunk %d applied out of order (want %d)", index, r.next)
	case len(chunk) > MaxChunkSize || !bytes.Equal(sha256Of(chunk), r.Meta.ChunkHashes[index]):
		// The peer sent bytes that are not the chunk: fetch it again from another peer.
		resp := &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_RETRY, RefetchChunks: []uint32{index}}
		if sender != "" {
			resp.RejectSenders = []string{sender}
		}
		return resp, false, fmt.Errorf("chunk %d (%d bytes) from peer %q does not match its hash in the snapshot metadata", index, len(chunk), sender)
	}
	r.next++
	select {
	case r.in <- chunk:
	case <-r.done: // the stream ended before this chunk: the remaining chunks carry nothing
	}
	select {
	case <-r.ack:
	case <-r.done:
	}
	if index+1 < total {
		select {
		case <-r.done:
			if r.err != nil {
				return rejectSnapshot(), false, r.err
			}
		default:
		}
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ACCEPT}, false, nil
	}
	close(r.in)
	<-r.done
	if r.err != nil {
		return rejectSnapshot(), false, r.err
	}
	return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ACCEPT}, true, nil
}

// ID is the restored version and app hash, after Apply reported done.
func (r *Restore) ID() store.CommitID { return r.id }

func rejectSnapshot() *abci.ResponseApplySnapshotChunk {
	return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT}
}

// Abort stops the restore and waits until the store is empty again.
func (r *Restore) Abort() {
	select {
	case <-r.quit:
	default:
		close(r.quit)
	}
	<-r.done
}
