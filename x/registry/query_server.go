package registry

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
)

type queryServer struct{ k Keeper }

var _ QueryServer = queryServer{}

func NewQueryServer(k Keeper) QueryServer { return queryServer{k: k} }

func (s queryServer) Node(ctx context.Context, req *QueryNodeRequest) (*QueryNodeResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	if err := validateNodeID(req.NodeId); err != nil {
		return nil, err
	}
	return s.nodeResponse(ctx, req.NodeId)
}

func (s queryServer) nodeResponse(ctx context.Context, id string) (*QueryNodeResponse, error) {
	e, found, err := s.k.GetNode(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNodeNotFound.Wrapf("node %s", id)
	}
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	out := &QueryNodeResponse{Node: e, QuotaBytes: p.QuotaBytes(&e.Node)}
	if s.k.backup != nil {
		if out.BackupReliability, err = s.k.backup.BackupReliability(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s queryServer) NodesByOwner(ctx context.Context, req *QueryNodesByOwnerRequest) (*QueryNodesByOwnerResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	owner, err := parseAddress("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	ids, err := s.k.ownerNodes(ctx, owner) // at most max_nodes_per_owner (<= MaxNodesPerOwnerCap)
	if err != nil {
		return nil, err
	}
	out := &QueryNodesByOwnerResponse{}
	for _, id := range ids {
		e, found, err := s.k.GetNode(ctx, id)
		if err != nil {
			return nil, err
		}
		if found {
			out.Nodes = append(out.Nodes, e)
		}
	}
	out.QuotaBytes, err = s.quotas(ctx, out.Nodes)
	return out, err
}

// maxKeyTypeLen bounds the key type of a by-key query (scheme names are short).
const maxKeyTypeLen = 32

func (s queryServer) NodeByKey(ctx context.Context, req *QueryNodeByKeyRequest) (*QueryNodeResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	if len(req.KeyType) == 0 || len(req.KeyType) > maxKeyTypeLen {
		return nil, runtime.ErrInvalidRequest.Wrapf("key_type: want 1-%d bytes (a key scheme, or %q for an encryption key)", maxKeyTypeLen, EncryptionKeyType)
	}
	if len(req.Key) == 0 || len(req.Key) > MaxKeyBytes {
		return nil, runtime.ErrInvalidRequest.Wrapf("key: want 1-%d bytes", MaxKeyBytes)
	}
	id, err := s.k.Keys.Get(ctx, keyHash(req.KeyType, req.Key))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, ErrNodeNotFound.Wrapf("no node holds this %s key", req.KeyType)
	}
	if err != nil {
		return nil, err
	}
	return s.nodeResponse(ctx, id)
}

func (s queryServer) Params(ctx context.Context, _ *QueryParamsRequest) (*QueryParamsResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &QueryParamsResponse{Params: p}, nil
}
