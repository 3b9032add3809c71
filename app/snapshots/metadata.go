// Package snapshots takes, keeps, serves and restores state-sync snapshots: the snapshot
// stream of app/store compressed and cut into chunks, each chunk's SHA-256 listed in the
// snapshot's metadata, so a node restoring from untrusted peers checks every chunk before
// using it and the restored state against the light-client-verified app hash.
package snapshots

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/selfchain/selfchain/app/store"
)

// Format is the snapshot format this binary writes and restores: app/store's record
// stream, zlib-compressed, cut into chunks.
const Format uint32 = 1

// Bounds on decoded metadata (a peer sends it).
const (
	maxStores   = 256
	maxChunks   = 1 << 20
	maxChainID  = 128
	maxMetadata = 64 << 20
)

// Metadata describes one snapshot; its SHA-256 is the snapshot hash CometBFT compares
// between peers.
type Metadata struct {
	Height int64
	// ChainID and BlockTime (unix ns) of the snapshot height: informational. A restore
	// takes the chain id from the node's own genesis; the block time only serves queries
	// until the first block after the restore commits.
	ChainID   string
	BlockTime int64
	// Stores are the tree roots at Height, sorted by name: their app hash must be the
	// light-client-verified one.
	Stores      []store.StoreRoot
	ChunkHashes [][]byte // SHA-256 of each chunk, in order
}

// Marshal is deterministic: format, height, chain id, block time, stores, chunk hashes,
// with uvarint lengths.
func (m Metadata) Marshal() []byte {
	buf := binary.AppendUvarint(nil, uint64(Format))
	buf = binary.AppendUvarint(buf, uint64(m.Height))
	buf = appendBytes(buf, []byte(m.ChainID))
	buf = binary.AppendUvarint(buf, uint64(m.BlockTime))
	buf = binary.AppendUvarint(buf, uint64(len(m.Stores)))
	for _, s := range m.Stores {
		buf = appendBytes(buf, []byte(s.Name))
		buf = appendBytes(buf, s.Root)
	}
	buf = binary.AppendUvarint(buf, uint64(len(m.ChunkHashes)))
	for _, h := range m.ChunkHashes {
		buf = append(buf, h...)
	}
	return buf
}

// Hash is the snapshot hash: SHA-256 of the metadata bytes.
func (m Metadata) Hash() []byte {
	h := sha256.Sum256(m.Marshal())
	return h[:]
}

func appendBytes(buf, b []byte) []byte {
	return append(binary.AppendUvarint(buf, uint64(len(b))), b...)
}

var errMetadata = errors.New("snapshots: bad metadata")

// UnmarshalMetadata decodes metadata of format Format, rejecting anything out of bounds.
func UnmarshalMetadata(bz []byte) (Metadata, error) {
	var m Metadata
	if len(bz) > maxMetadata {
		return m, fmt.Errorf("%w: %d bytes", errMetadata, len(bz))
	}
	d := decoder{bz: bz}
	if f := d.uvarint(); f != uint64(Format) {
		return m, fmt.Errorf("%w: format %d, want %d", errMetadata, f, Format)
	}
	h := d.uvarint()
	if h == 0 || h > 1<<62 {
		return m, fmt.Errorf("%w: height %d", errMetadata, h)
	}
	m.Height = int64(h)
	m.ChainID = string(d.bytes(maxChainID))
	m.BlockTime = int64(d.uvarint())
	n := d.uvarint()
	if n > maxStores {
		return m, fmt.Errorf("%w: %d stores", errMetadata, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		name := string(d.bytes(128))
		root := d.bytes(64)
		if i > 0 && name <= m.Stores[i-1].Name {
			return m, fmt.Errorf("%w: stores not sorted (%q after %q)", errMetadata, name, m.Stores[i-1].Name)
		}
		m.Stores = append(m.Stores, store.StoreRoot{Name: name, Root: root})
	}
	c := d.uvarint()
	if c == 0 || c > maxChunks || c*sha256.Size != uint64(len(d.bz)) {
		if d.err == nil {
			return m, fmt.Errorf("%w: %d chunks with %d bytes of hashes", errMetadata, c, len(d.bz))
		}
	}
	if d.err != nil {
		return m, fmt.Errorf("%w: %w", errMetadata, d.err)
	}
	for i := uint64(0); i < c; i++ {
		m.ChunkHashes = append(m.ChunkHashes, d.bz[i*sha256.Size:(i+1)*sha256.Size:(i+1)*sha256.Size])
	}
	return m, nil
}

type decoder struct {
	bz  []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.bz)
	if k <= 0 || k != len(binary.AppendUvarint(nil, v)) { // one encoding per value: the hash names one metadata
		d.err = errors.New("truncated, overlong or non-minimal number")
		return 0
	}
	d.bz = d.bz[k:]
	return v
}

func (d *decoder) bytes(limit uint64) []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > limit || n > uint64(len(d.bz)) {
		d.err = fmt.Errorf("%d-byte field (at most %d, %d left)", n, limit, len(d.bz))
		return nil
	}
	out := d.bz[:n:n]
	d.bz = d.bz[n:]
	return out
}
