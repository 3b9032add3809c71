package store

import (
	"bytes"
	"fmt"
	"testing"

	ics23 "github.com/cosmos/ics23/go"
	"github.com/stretchr/testify/require"
)

func TestQueryProofs(t *testing.T) {
	ms, _, _ := openTest(t, "pebbledb", Options{})
	kvs := map[string]map[string]string{"bank": {}, "acc": {"only": "one"}}
	for i := 0; i < 50; i += 2 {
		k, v := kv(i)
		kvs["bank"][k] = v
	}
	id1 := commitBlock(t, ms, kvs)
	id2 := commitBlock(t, ms, map[string]map[string]string{"bank": {"key00002": "changed"}})

	// Membership at the latest version.
	val, proof, err := ms.Query("bank", []byte("key00002"), 0, true)
	require.NoError(t, err)
	require.Equal(t, []byte("changed"), val)
	require.NoError(t, VerifyMembership(id2.Hash, "bank", []byte("key00002"), val, proof))
	require.Error(t, VerifyMembership(id2.Hash, "bank", []byte("key00002"), []byte("tampered"), proof))
	require.Error(t, VerifyMembership(id1.Hash, "bank", []byte("key00002"), val, proof))
	require.Error(t, VerifyMembership(id2.Hash, "acc", []byte("key00002"), val, proof))
	require.Error(t, VerifyNonMembership(id2.Hash, "bank", []byte("key00002"), proof))

	// The ops verify with plain ics23, as a light client would.
	var keyProof, storeProof ics23.CommitmentProof
	require.NoError(t, keyProof.Unmarshal(proof.Ops[0].Data))
	require.NoError(t, storeProof.Unmarshal(proof.Ops[1].Data))
	root, err := keyProof.Calculate()
	require.NoError(t, err)
	require.True(t, ics23.VerifyMembership(ics23.IavlSpec, root, &keyProof, []byte("key00002"), val))
	require.True(t, ics23.VerifyMembership(ics23.TendermintSpec, id2.Hash, &storeProof, []byte("bank"), root))

	// Membership at a past version, against that version's app hash.
	val, proof, err = ms.Query("bank", []byte("key00002"), 1, true)
	require.NoError(t, err)
	require.Equal(t, []byte("val2"), val)
	require.NoError(t, VerifyMembership(id1.Hash, "bank", []byte("key00002"), val, proof))
	require.Error(t, VerifyMembership(id2.Hash, "bank", []byte("key00002"), val, proof))

	// Non-membership: between keys, before the first, after the last, in a one-key tree, in an empty tree.
	for _, q := range []struct{ store, key string }{
		{"bank", "key00003"}, {"bank", "a"}, {"bank", "zzz"}, {"acc", "a"}, {"acc", "z"}, {"staking", "k"},
	} {
		val, proof, err := ms.Query(q.store, []byte(q.key), 0, true)
		require.NoError(t, err, "%v", q)
		require.Nil(t, val)
		require.NoError(t, VerifyNonMembership(id2.Hash, q.store, []byte(q.key), proof), "%v", q)
		require.Error(t, VerifyNonMembership(id1.Hash, q.store, []byte(q.key), proof), "%v", q)
		require.Error(t, VerifyNonMembership(id2.Hash, q.store, []byte(q.key+"x"), proof), "%v", q)
		require.Error(t, VerifyMembership(id2.Hash, q.store, []byte(q.key), []byte("x"), proof), "%v", q)
	}

	// An existing key cannot be passed off as absent with the proof of a neighbour.
	_, proof, err = ms.Query("bank", []byte("key00003"), 0, true)
	require.NoError(t, err)
	require.Error(t, VerifyNonMembership(id2.Hash, "bank", []byte("key00004"), proof))

	// A tampered store proof fails.
	_, proof, err = ms.Query("acc", []byte("only"), 0, true)
	require.NoError(t, err)
	proof.Ops[1].Data = bytes.Replace(proof.Ops[1].Data, []byte("acc"), []byte("abc"), 1)
	require.Error(t, VerifyMembership(id2.Hash, "acc", []byte("only"), []byte("one"), proof))

	// Without prove there is no proof.
	val, proof, err = ms.Query("acc", []byte("only"), 2, false)
	require.NoError(t, err)
	require.Nil(t, proof)
	require.Equal(t, []byte("one"), val)

	_, _, err = ms.Query("bank", []byte("k"), 3, true)
	require.ErrorContains(t, err, "version 3")
	_, _, err = ms.Query("nope", []byte("k"), 0, true)
	require.Error(t, err)
}

// The store proof works for every position in merkle trees of several sizes.
func TestStoreProofAllSizes(t *testing.T) {
	for n := 1; n <= 9; n++ {
		names := make([]string, n)
		roots := make([][]byte, n)
		for i := range names {
			names[i] = fmt.Sprintf("s%d", i)
			roots[i] = bytes.Repeat([]byte{byte(i + 1)}, 32)
		}
		hash := appHash(names, roots)
		for i := range names {
			p := &ics23.CommitmentProof{Proof: &ics23.CommitmentProof_Exist{Exist: storeExistenceProof(names, roots, i)}}
			require.True(t, ics23.VerifyMembership(ics23.TendermintSpec, hash, p, []byte(names[i]), roots[i]), "n=%d i=%d", n, i)
			require.False(t, ics23.VerifyMembership(ics23.TendermintSpec, hash, p, []byte(names[i]), bytes.Repeat([]byte{0xee}, 32)), "n=%d i=%d", n, i)
		}
	}
}

// QueryMany proves each key as Query does, present or absent, against one app hash.
func TestQueryManyProvesEachKey(t *testing.T) {
	ms, _, _ := openTest(t, "pebbledb", Options{})
	kvs := map[string]map[string]string{"bank": {}}
	for i := range 50 {
		kvs["bank"][fmt.Sprintf("k%03d", i)] = fmt.Sprintf("v%d", i)
	}
	id := commitBlock(t, ms, kvs)
	keys := [][]byte{[]byte("k007"), []byte("nope"), []byte("k049")}
	got, err := ms.QueryMany("bank", keys, 0)
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.NoError(t, VerifyMembership(id.Hash, "bank", keys[0], []byte("v7"), got[0].Proof))
	require.Nil(t, got[1].Value)
	require.NoError(t, VerifyNonMembership(id.Hash, "bank", keys[1], got[1].Proof))
	require.NoError(t, VerifyMembership(id.Hash, "bank", keys[2], []byte("v49"), got[2].Proof))
	require.Error(t, VerifyMembership(id.Hash, "bank", keys[0], []byte("v8"), got[0].Proof))

	_, err = ms.QueryMany("bank", make([][]byte, MaxQueryKeys+1), 0)
	require.ErrorContains(t, err, "at most 1000")
	_, err = ms.QueryMany("nostore", keys, 0)
	require.ErrorContains(t, err, "unknown store")
	_, err = ms.QueryMany("bank", [][]byte{nil}, 0)
	require.Error(t, err, "an empty key is refused")
}
