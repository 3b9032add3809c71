package bank

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// DefaultGenesis knows the native denomination and holds no balances.
func DefaultGenesis() GenesisState {
	return GenesisState{Params: DefaultParams(), DenomMetadata: []Metadata{DefaultMetadata()}}
}

// Validate checks the genesis state; errors name the offending field path.
func (gs GenesisState) Validate() error {
	_, err := gs.validate()
	return err
}

// validate returns the supply computed from the balances.
func (gs GenesisState) validate() (types.Coins, error) {
	if err := gs.Params.Validate(); err != nil {
		return nil, fmt.Errorf("params.%w", err)
	}
	known := make(map[string]int, len(gs.DenomMetadata))
	for i, md := range gs.DenomMetadata {
		if err := md.Validate(); err != nil {
			return nil, fmt.Errorf("denom_metadata[%d].%w", i, err)
		}
		if j, dup := known[md.Base]; dup {
			return nil, fmt.Errorf("denom_metadata[%d].base: %s is already denom_metadata[%d]", i, md.Base, j)
		}
		known[md.Base] = i
	}
	holders := make(map[string]int, len(gs.Balances))
	totals := map[string]types.Int{}
	for i, b := range gs.Balances {
		addr, err := crypto.AddressFromBech32(b.Address)
		if err != nil {
			return nil, fmt.Errorf("balances[%d].address: %w", i, err)
		}
		if j, dup := holders[string(addr)]; dup {
			return nil, fmt.Errorf("balances[%d].address: %s is already balances[%d]", i, b.Address, j)
		}
		holders[string(addr)] = i
		if len(b.Coins) == 0 {
			return nil, fmt.Errorf("balances[%d].coins: empty (omit the entry instead)", i)
		}
		if err := validateHoldings(b.Coins); err != nil {
			return nil, fmt.Errorf("balances[%d].coins: %w", i, err)
		}
		for _, c := range b.Coins {
			if _, ok := known[c.Denom]; !ok {
				return nil, fmt.Errorf("balances[%d].coins: denomination %s has no denom_metadata entry", i, c.Denom)
			}
			sum, err := totals[c.Denom].Add(c.Amount)
			if err != nil {
				return nil, fmt.Errorf("balances[%d].coins: the total supply of %s overflows 256 bits", i, c.Denom)
			}
			totals[c.Denom] = sum
		}
	}
	supply := make(types.Coins, 0, len(totals))
	for d, amt := range totals {
		supply = append(supply, types.Coin{Denom: d, Amount: amt})
	}
	sort.Slice(supply, func(i, j int) bool { return supply[i].Denom < supply[j].Denom })
	if len(gs.Supply) > 0 {
		if err := validateHoldings(gs.Supply); err != nil {
			return nil, fmt.Errorf("supply: %w", err)
		}
		if !coinsEqual(gs.Supply, supply) {
			return nil, fmt.Errorf("supply: states %s but the balances sum to %s", gs.Supply, supply)
		}
	}
	return supply, nil
}

// validateHoldings is Coins.Validate without its per-message cap on denominations:
// an account (or the supply) may hold more denoms than one message may carry.
func validateHoldings(cs types.Coins) error {
	for i, c := range cs {
		if err := c.Validate(); err != nil {
			return err
		}
		if i > 0 && cs[i-1].Denom >= c.Denom {
			if cs[i-1].Denom == c.Denom {
				return fmt.Errorf("duplicate denom %s", c.Denom)
			}
			return fmt.Errorf("coins not sorted by denom: %s before %s", cs[i-1].Denom, c.Denom)
		}
	}
	return nil
}

// InitGenesis validates gs and writes it; the supply is recomputed from the
// balances. Every holder but the fee collector gets an auth account (so it can
// sign): run auth's genesis first, so accounts listed there keep their numbers.
func (k Keeper) InitGenesis(ctx context.Context, gs GenesisState) error {
	supply, err := gs.validate()
	if err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, md := range gs.DenomMetadata {
		if err := k.DenomMetadata.Set(ctx, md.Base, md); err != nil {
			return err
		}
	}
	for _, b := range gs.Balances {
		addr, _ := crypto.AddressFromBech32(b.Address) // validated above
		// The fee collector never signs and has no account (see DeductFee);
		// creating one here would make export -> import add an account.
		if !addr.Equals(FeeCollector) {
			if _, err := k.ak.EnsureAccount(ctx, addr); err != nil {
				return err
			}
		}
		for _, c := range b.Coins {
			if err := k.Balances.Set(ctx, collections.Join([]byte(addr), c.Denom), c.Amount); err != nil {
				return err
			}
		}
	}
	for _, c := range supply {
		if err := k.setSupply(ctx, c.Denom, c.Amount); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis writes the whole state: balances by address, metadata and supply by denom.
func (k Keeper) ExportGenesis(ctx context.Context) (GenesisState, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return GenesisState{}, err
	}
	gs := GenesisState{Params: params}
	err = k.DenomMetadata.Walk(ctx, nil, func(_ string, md Metadata) (bool, error) {
		gs.DenomMetadata = append(gs.DenomMetadata, md)
		return false, nil
	})
	if err != nil {
		return GenesisState{}, err
	}
	// Keys are (address, denom), so one address's balances are consecutive.
	var last []byte
	err = k.Balances.Walk(ctx, nil, func(key collections.Pair[[]byte, string], amt types.Int) (bool, error) {
		if addr := key.K1(); len(gs.Balances) == 0 || !bytes.Equal(addr, last) {
			last = append(last[:0], addr...) // the key aliases the iterator's buffer
			gs.Balances = append(gs.Balances, Balance{Address: crypto.Address(addr).String()})
		}
		b := &gs.Balances[len(gs.Balances)-1]
		b.Coins = append(b.Coins, types.Coin{Denom: key.K2(), Amount: amt})
		return false, nil
	})
	if err != nil {
		return GenesisState{}, err
	}
	err = k.Supply.Walk(ctx, nil, func(denom string, amt types.Int) (bool, error) {
		gs.Supply = append(gs.Supply, types.Coin{Denom: denom, Amount: amt})
		return false, nil
	})
	if err != nil {
		return GenesisState{}, err
	}
	return gs, nil
}
