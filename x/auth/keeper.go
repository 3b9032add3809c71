package auth

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
)

// ModuleName is the module's name, store name and genesis key.
const ModuleName = "auth"

// Store prefixes; never reuse one (stored bytes would be misread).
var (
	accountsPrefix          = collections.NewPrefix(1)
	nextAccountNumberPrefix = collections.NewPrefix(2)
	paramsPrefix            = collections.NewPrefix(3)
)

// Keeper owns accounts. It is a value: its collections are handles to the
// store service, so copies share state.
type Keeper struct {
	Schema            collections.Schema
	Accounts          collections.Map[[]byte, Account]
	NextAccountNumber collections.Sequence
	Params            collections.Item[Params]
	// store opens the module's store for EnsureAccountExists' raw read.
	store runtime.KVStoreService
}

func NewKeeper(storeService runtime.KVStoreService) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		Accounts:          collections.NewMap(sb, accountsPrefix, "accounts", collections.BytesKey, runtime.ProtoValue[Account, *Account]{}),
		NextAccountNumber: collections.NewSequence(sb, nextAccountNumberPrefix, "next_account_number"),
		Params:            collections.NewItem(sb, paramsPrefix, "params", runtime.ProtoValue[Params, *Params]{}),
		store:             storeService,
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("auth: schema: %v", err)) // fixed at compile time: a bug, not an input
	}
	k.Schema = schema
	return k
}

// GetAccount returns the account at addr; found is false (and err nil) when there is none.
func (k Keeper) GetAccount(ctx context.Context, addr crypto.Address) (Account, bool, error) {
	acc, err := k.Accounts.Get(ctx, addr)
	switch {
	case err == nil:
		return acc, true, nil
	case errors.Is(err, collections.ErrNotFound):
		return Account{}, false, nil
	default:
		return Account{}, false, err
	}
}

// SetAccount stores acc under its own address.
func (k Keeper) SetAccount(ctx context.Context, acc Account) error {
	if len(acc.Address) != crypto.AddressLen {
		return runtime.ErrInvalidAddress.Wrapf("account address is %d bytes, want %d", len(acc.Address), crypto.AddressLen)
	}
	return k.Accounts.Set(ctx, acc.Address, acc)
}

// EnsureAccount returns the account at addr, creating it with the next account
// number when absent (an address gets an account when it first receives funds).
func (k Keeper) EnsureAccount(ctx context.Context, addr crypto.Address) (Account, error) {
	acc, found, err := k.GetAccount(ctx, addr)
	if err != nil || found {
		return acc, err
	}
	return k.createAccount(ctx, addr)
}

// EnsureAccountExists is EnsureAccount for callers that need no account back
// (bank, for every recipient): the same store reads and writes, so the same gas,
// but an existing account is not decoded — with a hybrid key that is a ~2 KB
// copy per transfer. Map.Get is one store Get of this key followed by the
// decode; this is that Get alone.
func (k Keeper) EnsureAccountExists(ctx context.Context, addr crypto.Address) error {
	key, err := collections.EncodeKeyWithPrefix(accountsPrefix.Bytes(), collections.BytesKey, []byte(addr))
	if err != nil {
		return err
	}
	bz, err := k.store.OpenKVStore(ctx).Get(key)
	if err != nil {
		return err
	}
	if bz != nil {
		return nil
	}
	_, err = k.createAccount(ctx, addr)
	return err
}

// createAccount stores a new account at addr, known to have none.
func (k Keeper) createAccount(ctx context.Context, addr crypto.Address) (Account, error) {
	if len(addr) != crypto.AddressLen {
		return Account{}, runtime.ErrInvalidAddress.Wrapf("address is %d bytes, want %d", len(addr), crypto.AddressLen)
	}
	num, err := k.NextAccountNumber.Next(ctx)
	if err != nil {
		return Account{}, err
	}
	// Copy: the caller's slice may be reused, and the stored account must not alias it.
	acc := Account{Address: append(crypto.Address(nil), addr...), AccountNumber: num}
	if err := k.Accounts.Set(ctx, acc.Address, acc); err != nil {
		return Account{}, err
	}
	return acc, nil
}

func (k Keeper) GetParams(ctx context.Context) (Params, error) {
	return k.Params.Get(ctx)
}

func (k Keeper) SetParams(ctx context.Context, p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return k.Params.Set(ctx, p)
}
