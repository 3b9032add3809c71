package bank

import (
	"context"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// MaxSupplyDenoms bounds a TotalSupply answer (query pages are bounded). The proto
// has no pagination yet; a chain with more denominations must use SupplyOf.
const MaxSupplyDenoms = 1000

type queryServer struct{ k Keeper }

var _ QueryServer = queryServer{}

func NewQueryServer(k Keeper) QueryServer { return queryServer{k: k} }

func (s queryServer) Balance(ctx context.Context, req *QueryBalanceRequest) (*QueryBalanceResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	addr, err := crypto.AddressFromBech32(req.Address)
	if err != nil {
		return nil, addressError("address", err)
	}
	if err := types.ValidateDenom(req.Denom); err != nil {
		return nil, runtime.ErrInvalidRequest.Wrapf("denom: %v", err)
	}
	amt, err := s.k.GetBalance(ctx, addr, req.Denom)
	if err != nil {
		return nil, err
	}
	return &QueryBalanceResponse{Balance: types.Coin{Denom: req.Denom, Amount: amt}}, nil
}

func (s queryServer) AllBalances(ctx context.Context, req *QueryAllBalancesRequest) (*QueryAllBalancesResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	addr, err := crypto.AddressFromBech32(req.Address)
	if err != nil {
		return nil, addressError("address", err)
	}
	coins, err := s.k.GetAllBalances(ctx, addr)
	if err != nil {
		return nil, err
	}
	return &QueryAllBalancesResponse{Balances: coins}, nil
}

func (s queryServer) TotalSupply(ctx context.Context, _ *QueryTotalSupplyRequest) (*QueryTotalSupplyResponse, error) {
	var supply types.Coins
	err := s.k.Supply.Walk(ctx, nil, func(denom string, amt types.Int) (bool, error) {
		if len(supply) == MaxSupplyDenoms {
			return true, runtime.ErrInvalidRequest.Wrapf("more than %d denominations: query them with SupplyOf", MaxSupplyDenoms)
		}
		supply = append(supply, types.Coin{Denom: denom, Amount: amt})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &QueryTotalSupplyResponse{Supply: supply}, nil
}

func (s queryServer) SupplyOf(ctx context.Context, req *QuerySupplyOfRequest) (*QuerySupplyOfResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	if err := types.ValidateDenom(req.Denom); err != nil {
		return nil, runtime.ErrInvalidRequest.Wrapf("denom: %v", err)
	}
	amt, err := s.k.GetSupply(ctx, req.Denom)
	if err != nil {
		return nil, err
	}
	return &QuerySupplyOfResponse{Amount: types.Coin{Denom: req.Denom, Amount: amt}}, nil
}

func (s queryServer) DenomMetadata(ctx context.Context, req *QueryDenomMetadataRequest) (*QueryDenomMetadataResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	if err := types.ValidateDenom(req.Denom); err != nil {
		return nil, runtime.ErrInvalidRequest.Wrapf("denom: %v", err)
	}
	md, found, err := s.k.GetDenomMetadata(ctx, req.Denom)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, runtime.ErrNotFound.Wrapf("denomination %s has no metadata", req.Denom)
	}
	return &QueryDenomMetadataResponse{Metadata: md}, nil
}

func (s queryServer) Params(ctx context.Context, _ *QueryParamsRequest) (*QueryParamsResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &QueryParamsResponse{Params: p}, nil
}
