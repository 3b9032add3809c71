package backup

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/registry"
)

// maxListed bounds an agreements list (open ones are bounded by params;
// closed ones stay until pruned): the oldest maxListed are answered.
const maxListed = 1_000

type queryServer struct{ k Keeper }

var _ QueryServer = queryServer{}

func NewQueryServer(k Keeper) QueryServer { return queryServer{k: k} }

// listIDs walks an index range for at most maxListed agreement ids.
func listIDs[K1 any](ctx context.Context, set collections.KeySet[collections.Pair[K1, uint64]], r collections.Ranger[collections.Pair[K1, uint64]]) ([]uint64, error) {
	it, err := set.Iterate(ctx, r)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var ids []uint64
	for ; it.Valid() && len(ids) < maxListed; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		ids = append(ids, key.K2())
	}
	return ids, nil
}

func (s queryServer) agreements(ctx context.Context, ids []uint64) ([]Agreement, error) {
	out := []Agreement{}
	for _, id := range ids {
		a, err := s.k.Agreements.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (s queryServer) Agreements(ctx context.Context, req *QueryAgreementsRequest) (*QueryAgreementsResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	owner, err := runtime.ParseAddress("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	ids, err := listIDs(ctx, s.k.ByOwner, collections.NewPrefixedPairRange[[]byte, uint64](owner))
	if err != nil {
		return nil, err
	}
	as, err := s.agreements(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &QueryAgreementsResponse{Agreements: as}, nil
}

func (s queryServer) Agreement(ctx context.Context, req *QueryAgreementRequest) (*QueryAgreementResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	a, err := s.k.agreement(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return &QueryAgreementResponse{Agreement: a}, nil
}

func (s queryServer) Challenges(ctx context.Context, req *QueryChallengesRequest) (*QueryChallengesResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	if _, err := s.k.agreement(ctx, req.AgreementId); err != nil {
		return nil, err
	}
	out := &QueryChallengesResponse{Challenges: []Challenge{}}
	ch, err := s.k.Challenges.Get(ctx, req.AgreementId)
	switch {
	case errIsNotFound(err):
	case err != nil:
		return nil, err
	case ch.AnsweredHeight == 0: // an answered one is kept only until the next: not listed
		out.Challenges = append(out.Challenges, ch)
	}
	return out, nil
}

func (s queryServer) Holder(ctx context.Context, req *QueryHolderRequest) (*QueryHolderResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	if !registry.ValidNodeID(req.NodeId) {
		return nil, runtime.ErrInvalidRequest.Wrapf("node_id %.80q is not a node id (%d hex digits)", req.NodeId, 2*registry.NodeIDLen)
	}
	st, err := s.k.holderStats(ctx, req.NodeId)
	if err != nil {
		return nil, err
	}
	ids, err := listIDs(ctx, s.k.ByHolder, collections.NewPrefixedPairRange[string, uint64](req.NodeId))
	if err != nil {
		return nil, err
	}
	as, err := s.agreements(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &QueryHolderResponse{NodeId: req.NodeId, Stats: st, Agreements: as}, nil
}

func (s queryServer) Params(ctx context.Context, req *QueryParamsRequest) (*QueryParamsResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &QueryParamsResponse{Params: p}, nil
}
