package app

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/tx"
)

// A tx is found by its address only while the very same memory is passed again;
// a copy of it (another ABCI client, another buffer) is found by its SHA-256.
func TestDecodeCacheByAddressThenHash(t *testing.T) {
	a := &App{decoded: map[[32]byte]*tx.Tx{}, decodedAt: map[txRef]*tx.Tx{}}
	bz := []byte("a block tx's bytes")
	byAddr, byHash := &tx.Tx{}, &tx.Tx{}
	a.decodedAt[refOf(bz)] = byAddr
	a.decoded[sha256.Sum256(bz)] = byHash

	got, err := a.decodeCached(bz)
	require.NoError(t, err)
	require.Same(t, byAddr, got, "the same slice: no hashing")

	cp := append([]byte(nil), bz...)
	got, err = a.decodeCached(cp)
	require.NoError(t, err)
	require.Same(t, byHash, got, "a copy: found by its hash")
	require.Same(t, byHash, a.decodedAt[refOf(cp)], "and remembered by its own address")

	// A prefix shares the first byte's address but not the length.
	_, err = a.decodeCached(bz[:4])
	require.Error(t, err, "not a tx: decoded, not taken from bz's entry")
	require.Nil(t, a.decodedAt[refOf(bz[:4])], "failed decodes are not kept")
}
