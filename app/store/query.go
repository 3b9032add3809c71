package store

import (
	"bytes"
	"fmt"
	"slices"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
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
	idx := indexOf(ms.names, name)
	if idx < 0 {
		return nil, nil, fmt.Errorf("store: unknown store %q", name)
	}
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	ms.mu.RLock()
	last, earliest, closed := ms.last.Version, ms.earliest, ms.closed
	ms.mu.RUnlock()
	if closed {
		return nil, nil, fmt.Errorf("store: closed")
	}
	if version == 0 {
		if last == 0 {
			return nil, nil, fmt.Errorf("store: nothing committed yet")
		}
		version = last
	}
	if err := checkVersion(version, earliest, last); err != nil {
		return nil, nil, err
	}
	tree, err := ms.readers[idx].GetImmutable(version)
	if err != nil {
		return nil, nil, fmt.Errorf("store: load version %d of %q: %w", version, name, err)
	}
	value, err := tree.Get(key)
	if err != nil {
		return nil, nil, fmt.Errorf("store: query %q at version %d: %w", name, version, err)
	}
	value = slices.Clone(value) // IAVL owns the original
	if !prove {
		return value, nil, nil
	}

	var keyProof *ics23.CommitmentProof
	if value != nil {
		keyProof, err = tree.GetMembershipProof(key)
	} else {
		keyProof, err = tree.GetNonMembershipProof(key)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: prove %q key %X at version %d: %w", name, key, version, err)
	}
	ci, err := loadCommitInfo(ms.db, version, ms.names)
	if err != nil {
		return nil, nil, err
	}
	if root := tree.Hash(); !bytes.Equal(root, ci.roots[idx]) {
		return nil, nil, fmt.Errorf("store: tree %q at version %d has root %X, commit info says %X", name, version, root, ci.roots[idx])
	}
	storeProof := &ics23.CommitmentProof{Proof: &ics23.CommitmentProof_Exist{
		Exist: storeExistenceProof(ci.names, ci.roots, idx),
	}}
	keyBz, err := keyProof.Marshal()
	if err != nil {
		return nil, nil, err
	}
	storeBz, err := storeProof.Marshal()
	if err != nil {
		return nil, nil, err
	}
	return value, &ProofOps{Ops: []ProofOp{
		{Type: ProofOpIAVL, Key: slices.Clone(key), Data: keyBz},
		{Type: ProofOpSimple, Key: []byte(name), Data: storeBz},
	}}, nil
}
