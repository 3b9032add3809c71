package permissions

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	gogotypes "github.com/cosmos/gogoproto/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// ModuleName is the module's name, store name, codespace and genesis key.
const ModuleName = "permissions"

// ModuleAccount holds app deposits. It is a module address: no key exists for it.
var ModuleAccount = crypto.ModuleAddress(ModuleName)

// BankKeeper is what permissions needs of x/bank: taking an app's deposit.
type BankKeeper interface {
	SendCoins(ctx context.Context, from, to crypto.Address, amt types.Coins) error
}

// MsgRouter is what MsgExec needs of the app's message router: decode an inner
// message (canonical encodings only, runtime.MsgRouter.DecodeAny) and run it.
// runtime.MsgRouter implements it.
type MsgRouter interface {
	DecodeAny(path string, a *gogotypes.Any) (runtime.Msg, error)
	Handler(typeURL string) (runtime.MsgHandler, bool)
}

// Store prefixes; never reuse one (stored bytes would be misread). The verify
// package and off-chain clients rely on the layout of 2, 3 and 7 (see AppKey,
// GrantKey, KillSwitchKey).
var (
	paramsPrefix         = collections.NewPrefix(1)
	appsPrefix           = collections.NewPrefix(2)
	grantsPrefix         = collections.NewPrefix(3)
	grantsByAppPrefix    = collections.NewPrefix(4)
	expiryByHeightPrefix = collections.NewPrefix(5)
	expiryByTimePrefix   = collections.NewPrefix(6)
	killSwitchPrefix     = collections.NewPrefix(7)
)

// grantKey is (user address, app id): a user's grants form one prefix.
type grantKey = collections.Pair[[]byte, string]

// expiryKey is (expiry height or unix time, user, app id), ordered by expiry first
// so pruning walks only what has expired.
type expiryKey = collections.Triple[int64, []byte, string]

var (
	grantKeyCodec  = collections.PairKeyCodec(collections.BytesKey, collections.StringKey)
	expiryKeyCodec = collections.TripleKeyCodec(collections.Int64Key, collections.BytesKey, collections.StringKey)
)

// Keeper owns apps, grants and kill switches. Invariants it keeps: every grant names
// a registered app; each grant has exactly one entry in grants_by_app (kept by the
// Grants IndexedMap) and one in the expiry index matching its expiry (kept by hand:
// which of the two expiry indexes depends on the grant); index values are a constant marker (true),
// never empty, so every stored key has a provable value.
type Keeper struct {
	bank   BankKeeper
	router MsgRouter
	rules  map[string]execRule

	Schema collections.Schema
	Params collections.Item[Params]
	Apps   collections.Map[string, App]
	// Grants: (user, app id) -> grant, indexed by app (Grants.Indexes.ByApp,
	// stored in GrantsByApp).
	Grants *collections.IndexedMap[grantKey, Grant, GrantIndexes]
	// GrantsByApp is the storage of Grants' app index: (app id, user) -> true.
	// Read it, never write it; the IndexedMap keeps it.
	GrantsByApp    collections.Map[collections.Pair[string, []byte], bool]
	ExpiryByHeight collections.Map[expiryKey, bool]
	ExpiryByTime   collections.Map[expiryKey, bool]
	KillSwitches   collections.Map[[]byte, int64]
}

// NewKeeper builds the keeper. router and rules may be nil where MsgExec is never
// executed (genesis validation); rules is the app's table of delegable messages.
func NewKeeper(storeService runtime.KVStoreService, bank BankKeeper, router MsgRouter, rules []ExecRule) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	// The index keeps the prefix and bytes of the hand-kept index it replaced
	// (grants_by_app 0x04): no migration.
	grantsByApp := collections.NewMap(sb, grantsByAppPrefix, "grants_by_app",
		collections.PairKeyCodec(collections.StringKey, collections.BytesKey), collections.BoolValue)
	k := Keeper{
		bank:   bank,
		router: router,
		rules:  buildRules(rules),
		Params: collections.NewItem(sb, paramsPrefix, "params", runtime.ProtoValue[Params, *Params]{}),
		Apps:   collections.NewMap(sb, appsPrefix, "apps", collections.StringKey, runtime.ProtoValue[App, *App]{}),
		Grants: collections.NewIndexedMap(sb, grantsPrefix, "grants", grantKeyCodec, runtime.ProtoValue[Grant, *Grant]{}, GrantIndexes{
			ByApp: runtime.NewMultiIndex(grantsByApp, true, func(key grantKey, _ Grant) (collections.Pair[string, []byte], error) {
				return collections.Join(key.K2(), key.K1()), nil
			}),
		}),
		GrantsByApp:    grantsByApp,
		ExpiryByHeight: collections.NewMap(sb, expiryByHeightPrefix, "expiry_by_height", expiryKeyCodec, collections.BoolValue),
		ExpiryByTime:   collections.NewMap(sb, expiryByTimePrefix, "expiry_by_time", expiryKeyCodec, collections.BoolValue),
		KillSwitches:   collections.NewMap(sb, killSwitchPrefix, "kill_switches", collections.BytesKey, collections.Int64Value),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("permissions: schema: %v", err)) // fixed at compile time: a bug, not an input
	}
	k.Schema = schema
	return k
}

// GrantIndexes are the secondary indexes of Keeper.Grants.
type GrantIndexes struct {
	// ByApp: (app id, user) -> true, one key per grant. A grant's key never
	// changes, so the per-MsgExec update of its counters reads this index once
	// and writes nothing to it.
	ByApp *runtime.MultiIndex[collections.Pair[string, []byte], grantKey, Grant, bool]
}

func (i GrantIndexes) IndexesList() []collections.Index[grantKey, Grant] {
	return []collections.Index[grantKey, Grant]{i.ByApp}
}

func (k Keeper) GetParams(ctx context.Context) (Params, error) { return k.Params.Get(ctx) }

func (k Keeper) SetParams(ctx context.Context, p Params) error {
	if err := p.Validate(); err != nil {
		return runtime.ErrInvalidRequest.Wrap(err.Error())
	}
	return k.Params.Set(ctx, p)
}

// GetApp returns an app; found is false when no app has that id.
func (k Keeper) GetApp(ctx context.Context, id string) (App, bool, error) {
	return getOpt(ctx, k.Apps, id)
}

// GetGrant returns user's grant to app; found is false when there is none.
func (k Keeper) GetGrant(ctx context.Context, user crypto.Address, appID string) (Grant, bool, error) {
	return getOpt(ctx, k.Grants, collections.Join([]byte(user), appID))
}

// KillSwitchOn reports whether user's kill switch is on: a record with a height > 0.
func (k Keeper) KillSwitchOn(ctx context.Context, user crypto.Address) (bool, error) {
	h, found, err := getOpt(ctx, k.KillSwitches, []byte(user))
	return found && h > 0, err
}

// ensureUserRecord creates user's kill-switch record (off: height 0) the first time
// the user grants anything. MsgExec reads it on every call, and a present key is
// served from the IAVL caches, where an absent one costs a database lookup each time
// (measured: a quarter of MsgExec's own time). Records persist: 8 bytes per user who
// ever granted.
func (k Keeper) ensureUserRecord(ctx context.Context, user crypto.Address) error {
	has, err := k.KillSwitches.Has(ctx, user)
	if err != nil || has {
		return err
	}
	return k.KillSwitches.Set(ctx, user, 0)
}

func getOpt[K, V any](ctx context.Context, m interface {
	Get(context.Context, K) (V, error)
}, key K) (V, bool, error) {
	v, err := m.Get(ctx, key)
	switch {
	case err == nil:
		return v, true, nil
	case errors.Is(err, collections.ErrNotFound):
		var zero V
		return zero, false, nil
	default:
		var zero V
		return zero, false, err
	}
}

// setGrant stores g with its indexes, replacing old (the previous record under the
// same key, if any) and its expiry index entry.
func (k Keeper) setGrant(ctx context.Context, user crypto.Address, g Grant, old *Grant) error {
	if old != nil {
		if err := k.removeExpiryIndex(ctx, user, *old); err != nil {
			return err
		}
	}
	if old == nil {
		if err := k.ensureUserRecord(ctx, user); err != nil {
			return err
		}
	}
	if err := k.Grants.Set(ctx, collections.Join([]byte(user), g.AppId), g); err != nil { // and its app index entry
		return err
	}
	if g.ExpiryHeight > 0 {
		return k.ExpiryByHeight.Set(ctx, collections.Join3(g.ExpiryHeight, []byte(user), g.AppId), true)
	}
	return k.ExpiryByTime.Set(ctx, collections.Join3(g.ExpiryTime, []byte(user), g.AppId), true)
}

// updateGrantUsage stores new usage counters of g; its key and expiry are unchanged.
func (k Keeper) updateGrantUsage(ctx context.Context, user crypto.Address, g Grant) error {
	return k.Grants.Set(ctx, collections.Join([]byte(user), g.AppId), g)
}

func (k Keeper) removeExpiryIndex(ctx context.Context, user crypto.Address, g Grant) error {
	if g.ExpiryHeight > 0 {
		return k.ExpiryByHeight.Remove(ctx, collections.Join3(g.ExpiryHeight, []byte(user), g.AppId))
	}
	return k.ExpiryByTime.Remove(ctx, collections.Join3(g.ExpiryTime, []byte(user), g.AppId))
}

// deleteGrant removes g and its index entries.
func (k Keeper) deleteGrant(ctx context.Context, user crypto.Address, g Grant) error {
	if err := k.removeExpiryIndex(ctx, user, g); err != nil {
		return err
	}
	return k.Grants.Remove(ctx, collections.Join([]byte(user), g.AppId)) // and its app index entry
}

// AppKey, GrantKey and KillSwitchKey are the raw keys of those records in the
// "permissions" tree: what a client asks for with a proven /store/permissions/key
// query. Values: App and Grant are their proto encodings; a user's kill-switch
// record is the 8-byte big-endian height (sign bit flipped, collections' Int64
// encoding) at which it was switched on, 0 while off; absent for a user who never
// granted anything.
func AppKey(id string) ([]byte, error) {
	return collections.EncodeKeyWithPrefix(appsPrefix, collections.StringKey, id)
}

func GrantKey(user crypto.Address, appID string) ([]byte, error) {
	return collections.EncodeKeyWithPrefix(grantsPrefix, grantKeyCodec, collections.Join([]byte(user), appID))
}

func KillSwitchKey(user crypto.Address) ([]byte, error) {
	return collections.EncodeKeyWithPrefix(killSwitchPrefix, collections.BytesKey, []byte(user))
}
