package store

import (
	"bytes"
	"errors"
	"fmt"

	ics23 "github.com/cosmos/ics23/go"
)

// VerifyMembership checks that proof (from Query) proves key=value in store storeName under appHash.
func VerifyMembership(appHash []byte, storeName string, key, value []byte, proof *ProofOps) error {
	if value == nil {
		return errors.New("store: membership proof needs a value")
	}
	keyProof, storeProof, err := decodeProof(proof, storeName, key)
	if err != nil {
		return err
	}
	exist := keyProof.GetExist()
	if exist == nil {
		return errors.New("store: key proof is not an existence proof")
	}
	root, err := exist.Calculate()
	if err != nil {
		return fmt.Errorf("store: key proof: %w", err)
	}
	if !ics23.VerifyMembership(ics23.IavlSpec, root, keyProof, key, value) {
		return fmt.Errorf("store: key %X with the given value is not proven in store %q", key, storeName)
	}
	return verifyStoreRoot(appHash, storeName, root, storeProof)
}

// VerifyNonMembership checks that proof (from Query) proves key absent from store storeName under appHash.
func VerifyNonMembership(appHash []byte, storeName string, key []byte, proof *ProofOps) error {
	keyProof, storeProof, err := decodeProof(proof, storeName, key)
	if err != nil {
		return err
	}
	nonexist := keyProof.GetNonexist()
	if nonexist == nil {
		return errors.New("store: key proof is not a non-existence proof")
	}
	var root []byte
	if nonexist.Left == nil && nonexist.Right == nil {
		// An empty tree has no neighbours to bracket the key; its root is the empty hash,
		// which no non-empty IAVL tree can have, and the store proof pins that root.
		if !bytes.Equal(nonexist.Key, key) {
			return errors.New("store: non-existence proof is for another key")
		}
		root = emptyHash
	} else {
		if root, err = nonexist.Calculate(); err != nil {
			return fmt.Errorf("store: key proof: %w", err)
		}
		if !ics23.VerifyNonMembership(ics23.IavlSpec, root, keyProof, key) {
			return fmt.Errorf("store: absence of key %X is not proven in store %q", key, storeName)
		}
	}
	return verifyStoreRoot(appHash, storeName, root, storeProof)
}

func verifyStoreRoot(appHash []byte, storeName string, root []byte, storeProof *ics23.CommitmentProof) error {
	if !ics23.VerifyMembership(ics23.TendermintSpec, appHash, storeProof, []byte(storeName), root) {
		return fmt.Errorf("store: root of store %q is not proven under app hash %X", storeName, appHash)
	}
	return nil
}

// decodeProof checks the two ops' types and keys and decodes their ICS-23 proofs.
func decodeProof(proof *ProofOps, storeName string, key []byte) (keyProof, storeProof *ics23.CommitmentProof, err error) {
	if proof == nil || len(proof.Ops) != 2 {
		return nil, nil, errors.New("store: proof must have exactly 2 ops")
	}
	kop, sop := proof.Ops[0], proof.Ops[1]
	if kop.Type != ProofOpIAVL || !bytes.Equal(kop.Key, key) {
		return nil, nil, fmt.Errorf("store: first proof op must be %s for key %X, got %s for %X", ProofOpIAVL, key, kop.Type, kop.Key)
	}
	if sop.Type != ProofOpSimple || string(sop.Key) != storeName {
		return nil, nil, fmt.Errorf("store: second proof op must be %s for store %q, got %s for %q", ProofOpSimple, storeName, sop.Type, sop.Key)
	}
	keyProof, storeProof = new(ics23.CommitmentProof), new(ics23.CommitmentProof)
	if err := keyProof.Unmarshal(kop.Data); err != nil {
		return nil, nil, fmt.Errorf("store: decode key proof: %w", err)
	}
	if err := storeProof.Unmarshal(sop.Data); err != nil {
		return nil, nil, fmt.Errorf("store: decode store proof: %w", err)
	}
	return keyProof, storeProof, nil
}
