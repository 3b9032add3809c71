package auth

import (
	"context"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
)

type queryServer struct{ k Keeper }

var _ QueryServer = queryServer{}

func NewQueryServer(k Keeper) QueryServer { return queryServer{k: k} }

func (s queryServer) Account(ctx context.Context, req *QueryAccountRequest) (*QueryAccountResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	addr, err := crypto.AddressFromBech32(req.Address)
	if err != nil {
		return nil, runtime.ErrInvalidAddress.Wrapf("address: %v", err)
	}
	acc, found, err := s.k.GetAccount(ctx, addr)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, runtime.ErrNotFound.Wrapf("account %s", addr)
	}
	return &QueryAccountResponse{Account: toGenesisAccount(acc)}, nil
}

func (s queryServer) Params(ctx context.Context, _ *QueryParamsRequest) (*QueryParamsResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &QueryParamsResponse{Params: p}, nil
}
