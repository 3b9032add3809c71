package upgrade

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
)

type queryServer struct{ k Keeper }

var _ QueryServer = queryServer{}

func NewQueryServer(k Keeper) QueryServer { return queryServer{k: k} }

func (s queryServer) CurrentPlan(ctx context.Context, _ *QueryCurrentPlanRequest) (*QueryCurrentPlanResponse, error) {
	p, ok, err := s.k.CurrentPlan(ctx)
	if err != nil || !ok {
		return &QueryCurrentPlanResponse{}, err
	}
	return &QueryCurrentPlanResponse{Plan: &p}, nil
}

func (s queryServer) AppliedPlan(ctx context.Context, req *QueryAppliedPlanRequest) (*QueryAppliedPlanResponse, error) {
	if req.Name == "" || len(req.Name) > MaxNameLen {
		return nil, ErrInvalidPlan.Wrapf("name: give a plan name of 1 to %d bytes", MaxNameLen)
	}
	h, err := s.k.Applied.Get(ctx, req.Name)
	if errors.Is(err, collections.ErrNotFound) {
		return &QueryAppliedPlanResponse{}, nil
	}
	return &QueryAppliedPlanResponse{Height: h}, err
}

// ModuleVersions lists the recorded versions in name order (there are few modules).
func (s queryServer) ModuleVersions(ctx context.Context, req *QueryModuleVersionsRequest) (*QueryModuleVersionsResponse, error) {
	out := &QueryModuleVersionsResponse{}
	if req.ModuleName != "" {
		v, err := s.k.ModuleVersions.Get(ctx, req.ModuleName)
		if errors.Is(err, collections.ErrNotFound) {
			return nil, runtime.ErrNotFound.Wrapf("module %q has no recorded version", req.ModuleName)
		}
		if err != nil {
			return nil, err
		}
		out.ModuleVersions = append(out.ModuleVersions, ModuleVersion{Name: req.ModuleName, Version: v})
		return out, nil
	}
	err := s.k.ModuleVersions.Walk(ctx, nil, func(name string, v uint64) (bool, error) {
		out.ModuleVersions = append(out.ModuleVersions, ModuleVersion{Name: name, Version: v})
		return false, nil
	})
	return out, err
}

func (s queryServer) Params(ctx context.Context, _ *QueryParamsRequest) (*QueryParamsResponse, error) {
	p, err := s.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &QueryParamsResponse{Params: p}, nil
}
