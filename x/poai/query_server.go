package poai

import (
	"bytes"
	"context"
	"encoding/binary"
	"sort"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types/query"
)

// Page sizes of list queries.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 500
	// maxScan bounds how many records one filtered page may read.
	maxScan = 5000
)

type queryServer struct{ k Keeper }

var _ QueryServer = queryServer{}

func NewQueryServer(k Keeper) QueryServer { return queryServer{k: k} }

func pageLimit(p *query.PageRequest) int {
	if p.GetLimit() == 0 {
		return DefaultPageLimit
	}
	return min(int(p.GetLimit()), MaxPageLimit)
}

// errPageKey is the answer to a pagination.key this query never handed out.
var errPageKey = runtime.ErrInvalidRequest.Wrap("pagination.key: not a next_key of this query")

// Validators lists validators by operator address, optionally by status; next_key
// (the operator address of the last validator read) resumes after it, empty when done.
func (s queryServer) Validators(ctx context.Context, req *QueryValidatorsRequest) (*QueryValidatorsResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	limit := pageLimit(req.Pagination)
	rng := new(collections.Range[[]byte])
	if key := req.Pagination.GetKey(); len(key) > 0 {
		if len(key) != crypto.AddressLen {
			return nil, errPageKey
		}
		rng = rng.StartExclusive(key)
	}
	res := &QueryValidatorsResponse{Pagination: &query.PageResponse{}}
	scanned := 0
	var last []byte
	err := s.k.Validators.Walk(ctx, rng, func(key []byte, v Validator) (bool, error) {
		if len(res.Validators) == limit || scanned == maxScan {
			res.Pagination.NextKey = last
			return true, nil
		}
		scanned++
		last = bytes.Clone(key)
		if req.Status == STATUS_UNSPECIFIED || v.Status == req.Status {
			res.Validators = append(res.Validators, v)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s queryServer) Validator(ctx context.Context, req *QueryValidatorRequest) (*QueryValidatorResponse, error) {
	v, err := s.lookup(ctx, req.GetOperatorAddress())
	if err != nil {
		return nil, err
	}
	return &QueryValidatorResponse{Validator: v}, nil
}

func (s queryServer) lookup(ctx context.Context, operator string) (Validator, error) {
	op, err := crypto.AddressFromBech32(operator)
	if err != nil {
		return Validator{}, validateAddress("operator_address", operator)
	}
	v, found, err := s.k.GetValidator(ctx, op)
	if err != nil {
		return Validator{}, err
	}
	if !found {
		return Validator{}, runtime.ErrNotFound.Wrapf("%s operates no validator", operator)
	}
	return v, nil
}

// ReputationHistory returns the validator's last ReputationHistoryLen epoch records, oldest first.
func (s queryServer) ReputationHistory(ctx context.Context, req *QueryReputationHistoryRequest) (*QueryReputationHistoryResponse, error) {
	v, err := s.lookup(ctx, req.GetOperatorAddress())
	if err != nil {
		return nil, err
	}
	res := &QueryReputationHistoryResponse{}
	rng := collections.NewPrefixedPairRange[[]byte, uint64](operatorOf(v))
	err = s.k.History.Walk(ctx, rng, func(_ collections.Pair[[]byte, uint64], r ReputationRecord) (bool, error) {
		res.Records = append(res.Records, r)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(res.Records, func(i, j int) bool { return res.Records[i].Height < res.Records[j].Height })
	return res, nil
}

func (s queryServer) Epoch(ctx context.Context, _ *QueryEpochRequest) (*QueryEpochResponse, error) {
	ep, err := s.k.Epoch.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &QueryEpochResponse{Epoch: ep}, nil
}

// FlaggedTxs lists flagged txs by (height, index); the page key is 12 bytes
// (big-endian height, index) of the last entry returned.
func (s queryServer) FlaggedTxs(ctx context.Context, req *QueryFlaggedTxsRequest) (*QueryFlaggedTxsResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	limit := pageLimit(req.Pagination)
	rng := new(collections.Range[collections.Pair[int64, uint32]])
	if key := req.Pagination.GetKey(); len(key) > 0 {
		if len(key) != 12 {
			return nil, errPageKey
		}
		h := int64(binary.BigEndian.Uint64(key[:8]))
		i := binary.BigEndian.Uint32(key[8:])
		rng = rng.StartExclusive(collections.Join(h, i))
	}
	res := &QueryFlaggedTxsResponse{Pagination: &query.PageResponse{}}
	err := s.k.Flagged.Walk(ctx, rng, func(key collections.Pair[int64, uint32], f FlaggedTx) (bool, error) {
		if len(res.Txs) == limit {
			res.Pagination.NextKey = flaggedKey(res.Txs[len(res.Txs)-1])
			return true, nil
		}
		res.Txs = append(res.Txs, f)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func flaggedKey(f FlaggedTx) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(f.Height))
	return binary.BigEndian.AppendUint32(b, f.Index)
}

func (s queryServer) Params(ctx context.Context, _ *QueryParamsRequest) (*QueryParamsResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &QueryParamsResponse{Params: p}, nil
}
