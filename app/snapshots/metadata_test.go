package snapshots

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/store"
)

func testMetadata() Metadata {
	return Metadata{
		Height: 1200, ChainID: "selfchain-1", BlockTime: 1_700_000_000_123_456_789,
		Stores:      []store.StoreRoot{{Name: "auth", Root: bytes.Repeat([]byte{1}, 32)}, {Name: "bank", Root: bytes.Repeat([]byte{2}, 32)}},
		ChunkHashes: [][]byte{bytes.Repeat([]byte{3}, 32), bytes.Repeat([]byte{4}, 32)},
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	m := testMetadata()
	got, err := UnmarshalMetadata(m.Marshal())
	require.NoError(t, err)
	require.Equal(t, m, got)
	require.Equal(t, m.Hash(), got.Hash())

	bz := m.Marshal()
	for n := 0; n < len(bz); n++ {
		_, err := UnmarshalMetadata(bz[:n])
		require.Error(t, err, "truncated to %d", n)
	}
	_, err = UnmarshalMetadata(append(bz, 0))
	require.Error(t, err, "trailing byte")
	unsorted := testMetadata()
	unsorted.Stores[0], unsorted.Stores[1] = unsorted.Stores[1], unsorted.Stores[0]
	_, err = UnmarshalMetadata(unsorted.Marshal())
	require.ErrorContains(t, err, "sorted")
	none := testMetadata()
	none.ChunkHashes = nil
	_, err = UnmarshalMetadata(none.Marshal())
	require.Error(t, err, "no chunks")
}

// FuzzMetadata: no input panics the metadata decoder, and what decodes re-encodes to
// the same bytes (so the snapshot hash names one metadata).
func FuzzMetadata(f *testing.F) {
	f.Add(testMetadata().Marshal())
	f.Add([]byte{1, 1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, bz []byte) {
		m, err := UnmarshalMetadata(bz)
		if err != nil {
			return
		}
		require.Equal(t, bz, m.Marshal())
	})
}

func TestMetadataNonMinimalNumber(t *testing.T) {
	bz := testMetadata().Marshal()
	// format 1 as two bytes
	_, err := UnmarshalMetadata(append([]byte{0x81, 0x00}, bz[1:]...))
	require.Error(t, err)
}
