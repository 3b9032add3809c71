package auth

import (
	"context"
	"fmt"
	"math"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

func DefaultGenesis() GenesisState {
	return GenesisState{Params: DefaultParams()}
}

// Validate checks the genesis state; errors name the offending field path.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params.%w", err)
	}
	byAddr := make(map[string]int, len(gs.Accounts))
	byNum := make(map[uint64]int, len(gs.Accounts))
	for i, ga := range gs.Accounts {
		addr, err := crypto.AddressFromBech32(ga.Address)
		if err != nil {
			return fmt.Errorf("accounts[%d].address: %w", i, err)
		}
		if j, dup := byAddr[string(addr)]; dup {
			return fmt.Errorf("accounts[%d].address: %s is already accounts[%d]", i, ga.Address, j)
		}
		byAddr[string(addr)] = i
		// The next number handed out is max+1, so max itself must leave room.
		if ga.AccountNumber == math.MaxUint64 {
			return fmt.Errorf("accounts[%d].account_number: %d leaves no number for new accounts", i, ga.AccountNumber)
		}
		if j, dup := byNum[ga.AccountNumber]; dup {
			return fmt.Errorf("accounts[%d].account_number: %d is already used by accounts[%d]", i, ga.AccountNumber, j)
		}
		byNum[ga.AccountNumber] = i
		if err := validateGenesisPubKey(ga.PublicKey, addr); err != nil {
			return fmt.Errorf("accounts[%d].public_key: %w", i, err)
		}
	}
	return nil
}

// validateGenesisPubKey checks a stored key decodes and belongs to the account:
// the ante trusts a stored key, so a mismatched one would hand the account to another key.
func validateGenesisPubKey(pk *types.PubKey, addr crypto.Address) error {
	if pk == nil {
		return nil
	}
	pub, err := crypto.PubKeyFromTyped(pk.Type, pk.Key)
	if err != nil {
		return err
	}
	if !pub.Address().Equals(addr) {
		return fmt.Errorf("key belongs to %s, not to the account's address", pub.Address())
	}
	return nil
}

// InitGenesis validates gs and writes it. It must run before any other module
// creates accounts (list auth before bank), or numbers could collide: it refuses
// to run over existing accounts.
func (k Keeper) InitGenesis(ctx context.Context, gs GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.requireNoAccounts(ctx); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	var next uint64
	for _, ga := range gs.Accounts {
		addr, _ := crypto.AddressFromBech32(ga.Address) // validated above
		acc := Account{Address: addr, AccountNumber: ga.AccountNumber, Sequence: ga.Sequence, PublicKey: ga.PublicKey}
		if err := k.Accounts.Set(ctx, addr, acc); err != nil {
			return err
		}
		next = max(next, ga.AccountNumber+1)
	}
	return k.NextAccountNumber.Set(ctx, next)
}

func (k Keeper) requireNoAccounts(ctx context.Context) error {
	it, err := k.Accounts.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	defer it.Close()
	if it.Valid() {
		return fmt.Errorf("accounts exist before auth genesis: auth must be initialised before modules that create accounts")
	}
	return nil
}

// ExportGenesis writes every account in address order.
func (k Keeper) ExportGenesis(ctx context.Context) (GenesisState, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return GenesisState{}, err
	}
	gs := GenesisState{Params: params}
	err = k.Accounts.Walk(ctx, nil, func(_ []byte, acc Account) (bool, error) {
		gs.Accounts = append(gs.Accounts, toGenesisAccount(acc))
		return false, nil
	})
	return gs, err
}

func toGenesisAccount(acc Account) GenesisAccount {
	return GenesisAccount{
		Address:       acc.Address.String(),
		AccountNumber: acc.AccountNumber,
		Sequence:      acc.Sequence,
		PublicKey:     acc.PublicKey,
	}
}
