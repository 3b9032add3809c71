package store

import (
	"bytes"
	"fmt"
	"slices"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	"github.com/cosmos/iavl"
	ics23 "github.com/cosmos/ics23/go"
)

// ProofOps is the proof type of abci ResponseQuery.ProofOps.
type (
	ProofOps = cmtcrypto.ProofOps
	ProofOp  = cmtcrypto.ProofOp
)

// Proof op types, as in cosmos-sdk: the key in the module tree, then the tree root in the app hash.
const (
	ProofOpIAVL   = "ics23:iavl"
	ProofOpSimple = "ics23:simple"
)

// Query reads key from store name at version (0 = latest committed). With prove it also returns
// the two-op ICS-23 proof that VerifyMembership / VerifyNonMembership check against the app hash
// of that version. Safe to call concurrently with block execution and Commit.
func (ms *MultiStore) Query(name string, key []byte, version int64, prove bool) ([]byte, *ProofOps, error) {
	q, err := ms.reader(name, version, prove)
	if err != nil {
		return nil, nil, err
	}
	return q.read(key, prove)
}

// MaxQueryKeys bounds QueryMany: one request, at most this many proofs.
const MaxQueryKeys = 1000

// KeyProof is one key's value (nil: absent) and its proof, from QueryMany.
type KeyProof struct {
	Value []byte
	Proof *ProofOps
}

// QueryMany is Query with prove for many keys of one store at one version: the
// version's tree and commit info are loaded once (a relayer proves hundreds of
// packet keys a scan).
func (ms *MultiStore) QueryMany(name string, keys [][]byte, version int64) ([]KeyProof, error) {
	if len(keys) > MaxQueryKeys {
		return nil, fmt.Errorf("store: %d keys in one query, at most %d", len(keys), MaxQueryKeys)
	}
	q, err := ms.reader(name, version, true)
	if err != nil {
		return nil, err
	}
	out := make([]KeyProof, len(keys))
	for i, key := range keys {
		if out[i].Value, out[i].Proof, err = q.read(key, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// storeReader reads one store's committed version; with proofs it holds the
// store's existence proof in the app hash, shared by every key.
type storeReader struct {
	name       string
	version    int64
	tree       *iavl.ImmutableTree
	storeProof []byte
}

func (ms *MultiStore) reader(name string, version int64, prove bool) (*storeReader, error) {
	idx := indexOf(ms.names, name)
	if idx < 0 {
		return nil, fmt.Errorf("store: unknown store %q", name)
	}
	ms.mu.RLock()
	last, earliest, closed := ms.last.Version, ms.earliest, ms.closed
	ms.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("store: closed")
	}
	if version == 0 {
		if last == 0 {
			return nil, fmt.Errorf("store: nothing committed yet")
		}
		version = last
	}
	if err := checkVersion(version, earliest, last); err != nil {
		return nil, err
	}
	tree, err := ms.readers[idx].GetImmutable(version)
	if err != nil {
		return nil, fmt.Errorf("store: load version %d of %q: %w", version, name, err)
	}
	r := &storeReader{name: name, version: version, tree: tree}
	if !prove {
		return r, nil
	}
	ci, err := loadCommitInfo(ms.db, version, ms.names)
	if err != nil {
		return nil, err
	}
	if root := tree.Hash(); !bytes.Equal(root, ci.roots[idx]) {
		return nil, fmt.Errorf("store: tree %q at version %d has root %X, commit info says %X", name, version, root, ci.roots[idx])
	}
	storeProof := &ics23.CommitmentProof{Proof: &ics23.CommitmentProof_Exist{
		Exist: storeExistenceProof(ci.names, ci.roots, idx),
	}}
	if r.storeProof, err = storeProof.Marshal(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *storeReader) read(key []byte, prove bool) ([]byte, *ProofOps, error) {
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	value, err := r.tree.Get(key)
	if err != nil {
		return nil, nil, fmt.Errorf("store: query %q at version %d: %w", r.name, r.version, err)
	}
	value = slices.Clone(value) // IAVL owns the original
	if !prove {
		return value, nil, nil
	}
	var keyProof *ics23.CommitmentProof
	if value != nil {
		keyProof, err = r.tree.GetMembershipProof(key)
	} else {
		keyProof, err = r.tree.GetNonMembershipProof(key)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: prove %q key %X at version %d: %w", r.name, key, r.version, err)
	}
	keyBz, err := keyProof.Marshal()
	if err != nil {
		return nil, nil, err
	}
	return value, &ProofOps{Ops: []ProofOp{
		{Type: ProofOpIAVL, Key: slices.Clone(key), Data: keyBz},
		{Type: ProofOpSimple, Key: []byte(r.name), Data: r.storeProof},
	}}, nil
}
