package registry

import (
	"bytes"
	"context"
	"fmt"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
)

// Resolve answers with owner's nodes and the ICS-23 proofs of the exact bytes they are
// decoded from, at the query's height H: the owner's node-id list (or its absence), then
// each node's record and liveness. The proofs verify against the app hash in header H+1
// (VerifyResolve), so a client that trusts only a light client can use the answer.
func (s queryServer) Resolve(ctx context.Context, req *QueryResolveRequest) (*QueryResolveResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	owner, err := parseAddress("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	if s.k.prover == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("resolve: this keeper has no committed store to prove from")
	}
	h := runtime.Unwrap(ctx).BlockHeight()
	res := &QueryResolveResponse{Height: h}
	prove := func(key []byte) ([]byte, error) {
		value, ops, err := s.k.prover.Query(ModuleName, key, h, true)
		if err != nil {
			return nil, runtime.ErrInvalidRequest.Wrapf("resolve: %v", err)
		}
		pv := ProvenValue{Key: key, Value: value}
		for _, op := range ops.Ops {
			pv.ProofOps = append(pv.ProofOps, ProofOp{Type: op.Type, Key: op.Key, Data: op.Data})
		}
		res.Proofs = append(res.Proofs, pv)
		return value, nil
	}
	okey, err := OwnerKey(owner)
	if err != nil {
		return nil, err
	}
	raw, err := prove(okey)
	if err != nil || raw == nil {
		return res, err
	}
	var on OwnerNodes
	if err := on.Unmarshal(raw); err != nil {
		return nil, err
	}
	for _, id := range on.NodeIds {
		e, err := proveNode(id, prove)
		if err != nil {
			return nil, err
		}
		res.Nodes = append(res.Nodes, e)
	}
	return res, nil
}

func proveNode(id string, prove func([]byte) ([]byte, error)) (NodeEntry, error) {
	var e NodeEntry
	nkey, err := NodeKey(id)
	if err != nil {
		return e, err
	}
	lkey, err := LivenessKey(id)
	if err != nil {
		return e, err
	}
	nraw, err := prove(nkey)
	if err != nil {
		return e, err
	}
	lraw, err := prove(lkey)
	if err != nil {
		return e, err
	}
	if nraw == nil || lraw == nil {
		return e, fmt.Errorf("registry: owner list names node %s, which has no record", id)
	}
	if err := e.Node.Unmarshal(nraw); err != nil {
		return e, err
	}
	err = e.Liveness.Unmarshal(lraw)
	return e, err
}

// VerifyResolve checks a Resolve answer for owner against appHash, the app hash of the
// header at res.Height+1 (which commits the state after block res.Height), and returns
// the nodes decoded from the proven bytes alone. It fails unless every proof verifies and
// the proofs are exactly: the owner's list (membership, or non-membership for no nodes),
// then record and liveness of each listed node.
func VerifyResolve(appHash []byte, owner crypto.Address, res *QueryResolveResponse) ([]NodeEntry, error) {
	if res == nil || len(res.Proofs) == 0 {
		return nil, fmt.Errorf("registry: resolve answer has no proofs")
	}
	okey, err := OwnerKey(owner)
	if err != nil {
		return nil, err
	}
	first := res.Proofs[0]
	if !bytes.Equal(first.Key, okey) {
		return nil, fmt.Errorf("registry: first proof is not of owner %s's node list", owner)
	}
	if len(first.Value) == 0 {
		if len(res.Proofs) != 1 {
			return nil, fmt.Errorf("registry: owner has no nodes but the answer carries %d more proofs", len(res.Proofs)-1)
		}
		return nil, store.VerifyNonMembership(appHash, ModuleName, okey, first.ops())
	}
	if err := store.VerifyMembership(appHash, ModuleName, okey, first.Value, first.ops()); err != nil {
		return nil, err
	}
	var on OwnerNodes
	if err := on.Unmarshal(first.Value); err != nil {
		return nil, err
	}
	if len(res.Proofs) != 1+2*len(on.NodeIds) {
		return nil, fmt.Errorf("registry: owner lists %d nodes, want %d proofs, got %d", len(on.NodeIds), 1+2*len(on.NodeIds), len(res.Proofs))
	}
	i := 1
	prove := func(key []byte) ([]byte, error) {
		pv := res.Proofs[i]
		i++
		if !bytes.Equal(pv.Key, key) {
			return nil, fmt.Errorf("registry: proof %d is for key %X, want %X", i-1, pv.Key, key)
		}
		if len(pv.Value) == 0 {
			return nil, fmt.Errorf("registry: proof %d has no value", i-1)
		}
		if err := store.VerifyMembership(appHash, ModuleName, key, pv.Value, pv.ops()); err != nil {
			return nil, err
		}
		return pv.Value, nil
	}
	out := make([]NodeEntry, 0, len(on.NodeIds))
	for _, id := range on.NodeIds {
		e, err := proveNode(id, prove)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (pv ProvenValue) ops() *store.ProofOps {
	out := &store.ProofOps{}
	for _, op := range pv.ProofOps {
		out.Ops = append(out.Ops, store.ProofOp{Type: op.Type, Key: op.Key, Data: op.Data})
	}
	return out
}
