package bridge

import (
	"context"
	"fmt"
	"strings"

	"github.com/selfchain/selfchain/types"
)

// DefaultGenesis has default params, no clients and no vouchers. Clients,
// their consensus states, packets and acknowledgements are never exported: a
// new chain made from exported state creates fresh clients of its
// counterparties (docs/modules/bridge.md, "Export"); the vouchers' traces are.
func DefaultGenesis() GenesisState { return GenesisState{Params: DefaultParams()} }

func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params.%w", err)
	}
	seen := map[string]int{}
	for i, t := range gs.DenomTraces {
		if t.Path == "" {
			return fmt.Errorf("denom_traces[%d].path: empty (a native denom has no trace)", i)
		}
		if err := types.ValidateDenom(t.BaseDenom); err != nil {
			return fmt.Errorf("denom_traces[%d].base_denom: %v", i, err)
		}
		if splitTrace(t.FullPath()) != t {
			return fmt.Errorf("denom_traces[%d]: %q is not a trace of port/client hops", i, t.FullPath())
		}
		d := t.VoucherDenom()
		if j, dup := seen[d]; dup {
			return fmt.Errorf("denom_traces[%d]: already denom_traces[%d]", i, j)
		}
		seen[d] = i
	}
	return nil
}

func (k Keeper) InitGenesis(ctx context.Context, gs GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if gs.NextClientSequence > 0 { // absent reads as 0: a new chain's state stays as it was
		if err := k.ClientSeq.Set(ctx, gs.NextClientSequence); err != nil {
			return err
		}
	}
	for _, t := range gs.DenomTraces {
		if err := k.DenomTraces.Set(ctx, strings.TrimPrefix(t.VoucherDenom(), VoucherPrefix), t); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis writes params, the next client number and the denom traces, by
// voucher hash.
func (k Keeper) ExportGenesis(ctx context.Context) (GenesisState, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return GenesisState{}, err
	}
	next, err := k.ClientSeq.Peek(ctx)
	if err != nil {
		return GenesisState{}, err
	}
	gs := GenesisState{Params: p, NextClientSequence: next}
	err = k.DenomTraces.Walk(ctx, nil, func(_ string, t DenomTrace) (bool, error) {
		gs.DenomTraces = append(gs.DenomTraces, t)
		return false, nil
	})
	return gs, err
}
