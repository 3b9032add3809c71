package bank

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
)

// ModuleName is the module's name, store name, codespace and genesis key.
const ModuleName = "bank"

// FeeCollector receives every tx fee. It is a module address: no key exists for it.
var FeeCollector = crypto.ModuleAddress("fee_collector")

// AccountKeeper is what bank needs of x/auth: recipients get an account (and
// number) the first time they receive funds, as in the Cosmos SDK.
type AccountKeeper interface {
	EnsureAccount(ctx context.Context, addr crypto.Address) (auth.Account, error)
	// EnsureAccountExists does what EnsureAccount does without returning (so
	// without decoding) the account: the transfer path's form.
	EnsureAccountExists(ctx context.Context, addr crypto.Address) error
}

// Store prefixes; never reuse one (stored bytes would be misread).
var (
	balancesPrefix      = collections.NewPrefix(1)
	supplyPrefix        = collections.NewPrefix(2)
	denomMetadataPrefix = collections.NewPrefix(3)
	paramsPrefix        = collections.NewPrefix(4)
)

// Keeper owns balances, supply and denominations. Invariants it keeps: no zero
// entry is stored; every denom with a balance or supply has metadata; the supply
// of a denom is the sum of its balances (so no balance arithmetic can overflow).
type Keeper struct {
	ak AccountKeeper

	Schema        collections.Schema
	Balances      collections.Map[balanceKey, types.Int]
	Supply        collections.Map[string, types.Int]
	DenomMetadata collections.Map[string, Metadata]
	Params        collections.Item[Params]
}

func NewKeeper(storeService runtime.KVStoreService, ak AccountKeeper) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		ak: ak,
		Balances: collections.NewMap(sb, balancesPrefix, "balances",
			collections.PairKeyCodec(collections.BytesKey, collections.StringKey), intValue{}),
		Supply:        collections.NewMap(sb, supplyPrefix, "supply", collections.StringKey, intValue{}),
		DenomMetadata: collections.NewMap(sb, denomMetadataPrefix, "denom_metadata", collections.StringKey, runtime.ProtoValue[Metadata, *Metadata]{}),
		Params:        collections.NewItem(sb, paramsPrefix, "params", runtime.ProtoValue[Params, *Params]{}),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("bank: schema: %v", err)) // fixed at compile time: a bug, not an input
	}
	k.Schema = schema
	return k
}

// balanceKey is (address, denom): an address's balances form one prefix.
type balanceKey = collections.Pair[[]byte, string]

// GetBalance returns addr's balance of denom, zero when it has none.
func (k Keeper) GetBalance(ctx context.Context, addr crypto.Address, denom string) (types.Int, error) {
	return k.getBalance(ctx, collections.Join([]byte(addr), denom))
}

func (k Keeper) getBalance(ctx context.Context, key balanceKey) (types.Int, error) {
	v, err := k.Balances.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Int{}, nil
	}
	return v, err
}

// setBalance stores a balance, deleting it at zero so state holds only real holdings.
func (k Keeper) setBalance(ctx context.Context, key balanceKey, amt types.Int) error {
	if amt.IsZero() {
		return k.Balances.Remove(ctx, key)
	}
	return k.Balances.Set(ctx, key, amt)
}

// GetAllBalances returns addr's balances, sorted by denom (the store's order).
func (k Keeper) GetAllBalances(ctx context.Context, addr crypto.Address) (types.Coins, error) {
	it, err := k.Balances.Iterate(ctx, collections.NewPrefixedPairRange[[]byte, string](addr))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out types.Coins
	for ; it.Valid(); it.Next() {
		kv, err := it.KeyValue()
		if err != nil {
			return nil, err
		}
		out = append(out, types.Coin{Denom: kv.Key.K2(), Amount: kv.Value})
	}
	return out, nil
}

// GetSupply returns the total supply of denom, zero when none exists.
func (k Keeper) GetSupply(ctx context.Context, denom string) (types.Int, error) {
	v, err := k.Supply.Get(ctx, denom)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Int{}, nil
	}
	return v, err
}

func (k Keeper) setSupply(ctx context.Context, denom string, amt types.Int) error {
	if amt.IsZero() {
		return k.Supply.Remove(ctx, denom)
	}
	return k.Supply.Set(ctx, denom, amt)
}

// HasDenom reports whether denom has metadata, i.e. is known to the chain.
func (k Keeper) HasDenom(ctx context.Context, denom string) (bool, error) {
	return k.DenomMetadata.Has(ctx, denom)
}

// GetDenomMetadata returns denom's metadata; found is false when the denom is unknown.
func (k Keeper) GetDenomMetadata(ctx context.Context, denom string) (Metadata, bool, error) {
	md, err := k.DenomMetadata.Get(ctx, denom)
	switch {
	case err == nil:
		return md, true, nil
	case errors.Is(err, collections.ErrNotFound):
		return Metadata{}, false, nil
	default:
		return Metadata{}, false, err
	}
}

// SetDenomMetadata makes a denomination known (or updates its description).
// Metadata is never deleted: balances rely on it.
func (k Keeper) SetDenomMetadata(ctx context.Context, md Metadata) error {
	if err := md.Validate(); err != nil {
		return runtime.ErrInvalidRequest.Wrap(err.Error())
	}
	return k.DenomMetadata.Set(ctx, md.Base, md)
}

// EnsureDenom makes denom known with display = base and exponent 0 if it is not
// yet (x/bridge registers voucher denoms this way); known denoms are left as they are.
func (k Keeper) EnsureDenom(ctx context.Context, denom, description string) error {
	ok, err := k.HasDenom(ctx, denom)
	if err != nil || ok {
		return err
	}
	return k.SetDenomMetadata(ctx, Metadata{Base: denom, Display: denom, Description: description})
}

func (k Keeper) GetParams(ctx context.Context) (Params, error) { return k.Params.Get(ctx) }

func (k Keeper) SetParams(ctx context.Context, p Params) error {
	if err := p.Validate(); err != nil {
		return runtime.ErrInvalidRequest.Wrap(err.Error())
	}
	return k.Params.Set(ctx, p)
}

// BalanceKey is the raw store key of (addr, denom)'s balance in the bank tree: what a
// light client asks for with a proven /store/bank/key query.
func BalanceKey(addr crypto.Address, denom string) ([]byte, error) {
	return collections.EncodeKeyWithPrefix(balancesPrefix,
		collections.PairKeyCodec(collections.BytesKey, collections.StringKey), collections.Join([]byte(addr), denom))
}
