// Package wire is the protocol between the backup agent and a holder daemon:
// chunk ids and kinds, the signed request envelope, and the binary lists the
// two exchange (inventories and manifest id lists). Every decoder here is
// fuzzed: a holder decodes what any client sends.
package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/selfchain/selfchain/x/backup"
)

// IDSize is the length of a chunk id: a keyed hash (HMAC-SHA256 under a key
// derived from the owner's secret) of the chunk's plaintext, so equal
// plaintexts deduplicate and a holder cannot confirm a guess of the content.
const IDSize = 32

// ID names a chunk.
type ID [IDSize]byte

func (id ID) String() string { return hex.EncodeToString(id[:]) }

// ParseID reads a hex chunk id.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*IDSize {
		return id, fmt.Errorf("chunk id %q: want %d hex characters", s, 2*IDSize)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("chunk id %q: %w", s, err)
	}
	return id, nil
}

// Kind says what a chunk holds. Holders store it so that an agent with no
// local state can find its snapshot manifests.
type Kind byte

const (
	KindData     Kind = 1 // file content
	KindSnapshot Kind = 2 // a sealed snapshot manifest
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindData || k == KindSnapshot }

// ParseKind reads a kind name.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "data":
		return KindData, nil
	case "snapshot":
		return KindSnapshot, nil
	}
	return 0, fmt.Errorf("chunk kind %q: want data or snapshot", s)
}

func (k Kind) String() string {
	switch k {
	case KindData:
		return "data"
	case KindSnapshot:
		return "snapshot"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Entry is one chunk a holder stores for an agreement.
type Entry struct {
	ID   ID
	Kind Kind
	Leaf []byte // backup.ChunkLeafSize bytes: ciphertext size and segment root
}

// EntrySize is an encoded Entry's length.
const EntrySize = IDSize + 1 + backup.ChunkLeafSize

// MaxListEntries bounds a decoded inventory or id list (16 Mi chunks is
// 16 TiB of 1 MiB chunks), so a decoder never allocates without limit.
const MaxListEntries = 1 << 24

var errListLength = errors.New("list length is not a whole number of entries")

// EncodeEntries writes entries back to back.
func EncodeEntries(es []Entry) []byte {
	out := make([]byte, 0, len(es)*EntrySize)
	for _, e := range es {
		out = append(out, e.ID[:]...)
		out = append(out, byte(e.Kind))
		out = append(out, e.Leaf...)
	}
	return out
}

// DecodeEntries reads what EncodeEntries wrote, checking every field.
func DecodeEntries(b []byte) ([]Entry, error) {
	if len(b)%EntrySize != 0 {
		return nil, errListLength
	}
	n := len(b) / EntrySize
	if n > MaxListEntries {
		return nil, fmt.Errorf("list of %d entries: at most %d", n, MaxListEntries)
	}
	es := make([]Entry, n)
	for i := range es {
		r := b[i*EntrySize : (i+1)*EntrySize]
		copy(es[i].ID[:], r)
		es[i].Kind = Kind(r[IDSize])
		if !es[i].Kind.Valid() {
			return nil, fmt.Errorf("entry %d: unknown chunk kind %d", i, r[IDSize])
		}
		es[i].Leaf = bytes.Clone(r[IDSize+1:])
		if size := binary.BigEndian.Uint64(es[i].Leaf); size == 0 || size > backup.MaxChunkSize {
			return nil, fmt.Errorf("entry %d: chunk size %d out of range", i, size)
		}
	}
	return es, nil
}

// EncodeIDs writes ids back to back.
func EncodeIDs(ids []ID) []byte {
	out := make([]byte, 0, len(ids)*IDSize)
	for _, id := range ids {
		out = append(out, id[:]...)
	}
	return out
}

// DecodeIDs reads a manifest id list: strictly ascending ids (the stable
// order the manifest root is computed in), so duplicates are impossible.
func DecodeIDs(b []byte) ([]ID, error) {
	if len(b)%IDSize != 0 {
		return nil, errListLength
	}
	n := len(b) / IDSize
	if n > MaxListEntries {
		return nil, fmt.Errorf("list of %d ids: at most %d", n, MaxListEntries)
	}
	ids := make([]ID, n)
	for i := range ids {
		copy(ids[i][:], b[i*IDSize:])
		if i > 0 && bytes.Compare(ids[i-1][:], ids[i][:]) >= 0 {
			return nil, fmt.Errorf("id %d is not above id %d: the list must be sorted and without duplicates", i, i-1)
		}
	}
	return ids, nil
}

// SortIDs puts ids in manifest order.
func SortIDs(ids []ID) {
	slices.SortFunc(ids, func(a, b ID) int { return bytes.Compare(a[:], b[:]) })
}

// Root is the manifest root of leaves listed in manifest (id) order.
func Root(leaves [][]byte) []byte { return backup.ManifestRoot(leaves) }

// MarshalText writes the id in hex (snapshot manifests are JSON).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads a hex id.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
