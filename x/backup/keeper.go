package backup

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

// ModuleName is the module's name, store name, codespace and genesis key.
const ModuleName = "backup"

// Escrow holds owners' escrow and holders' collateral. A module address: no key exists for it.
var Escrow = crypto.ModuleAddress(ModuleName)

// BankKeeper is what x/backup needs of x/bank: moving escrow and collateral.
type BankKeeper interface {
	SendCoins(ctx context.Context, from, to crypto.Address, amt types.Coins) error
}

// Registry is what x/backup needs of x/registry: the holder node's record.
type Registry interface {
	GetNode(ctx context.Context, id string) (registry.NodeEntry, bool, error)
}

// Store prefixes; never reuse one (stored bytes would be misread).
var (
	paramsPrefix      = collections.NewPrefix(1)
	agreementsPrefix  = collections.NewPrefix(2)
	seqPrefix         = collections.NewPrefix(3)
	byOwnerPrefix     = collections.NewPrefix(4)
	byHolderPrefix    = collections.NewPrefix(5)
	ownerOpenPrefix   = collections.NewPrefix(6)
	holderStatsPrefix = collections.NewPrefix(7)
	challengesPrefix  = collections.NewPrefix(8)
	duePrefix         = collections.NewPrefix(9)
	challengeablePref = collections.NewPrefix(10)
)

// dueKey is (height, kind, agreement id): one queue of everything that falls
// due at a height, earliest first, so EndBlock opens one iterator a block.
type dueKey = collections.Triple[int64, uint64, uint64]

// Kinds of due entries, in the order they run at one height.
const (
	duePayment  uint64 = 1 // an epoch payment (next_payment_height)
	dueEnd      uint64 = 2 // the end of an ending agreement (end_height)
	dueDeadline uint64 = 3 // a challenge's deadline (stale once answered or cancelled)
	duePrune    uint64 = 4 // deletion of a closed agreement (end_height + retain_blocks)
)

func dueAt(h int64, kind, id uint64) dueKey { return collections.Join3(h, kind, id) }

// Keeper owns agreements and challenges. Invariants it keeps:
//   - ByOwner / ByHolder index every stored agreement under its owner / holder node;
//   - OwnerOpen[o] and HolderStats[n].open_agreements count the open (proposed,
//     active, ending) agreements; used_bytes sums the quotas of active and ending ones;
//   - Challengeable holds exactly the active and ending agreements with a
//     committed manifest; only they have a Challenge, at most one: open
//     (answered_height 0, its deadline in Due) or answered (kept in place until
//     the next challenge overwrites it; Due may keep stale deadlines: skipped);
//   - Due holds the payment of every active and ending agreement, the end of
//     every ending one and the pruning of every closed one.
type Keeper struct {
	bank     BankKeeper
	registry Registry
	// proofs remembers storage proofs that passed (proof_cache.go); shared by
	// the keeper's copies, never part of state.
	proofs *proofCache
	// answered lists the challenges this node's FinalizeBlock answered in the
	// current block, for EndBlock's one holder-stats write per holder
	// (holder_stats.go); shared by the keeper's copies, never part of state.
	answered *answeredLog
	store    runtime.KVStoreService // raw reads of challenges (holder_stats.go)

	Schema        collections.Schema
	Params        collections.Item[Params]
	Agreements    collections.Map[uint64, Agreement]
	Seq           collections.Sequence
	ByOwner       collections.KeySet[collections.Pair[[]byte, uint64]]
	ByHolder      collections.KeySet[collections.Pair[string, uint64]]
	OwnerOpen     collections.Map[[]byte, uint64]
	HolderStats   collections.Map[string, HolderStats]
	Challenges    collections.Map[uint64, Challenge]
	Challengeable collections.KeySet[uint64]
	Due           collections.KeySet[dueKey]
}

// NewKeeper builds the keeper; bank and reg may be nil where unused (genesis tooling).
func NewKeeper(storeService runtime.KVStoreService, bank BankKeeper, reg Registry) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		bank:          bank,
		registry:      reg,
		proofs:        newProofCache(proofCacheSize),
		answered:      new(answeredLog),
		store:         storeService,
		Params:        collections.NewItem(sb, paramsPrefix, "params", runtime.ProtoValue[Params, *Params]{}),
		Agreements:    collections.NewMap(sb, agreementsPrefix, "agreements", collections.Uint64Key, runtime.ProtoValue[Agreement, *Agreement]{}),
		Seq:           collections.NewSequence(sb, seqPrefix, "agreement_sequence"),
		ByOwner:       collections.NewKeySet(sb, byOwnerPrefix, "by_owner", collections.PairKeyCodec(collections.BytesKey, collections.Uint64Key)),
		ByHolder:      collections.NewKeySet(sb, byHolderPrefix, "by_holder", collections.PairKeyCodec(collections.StringKey, collections.Uint64Key)),
		OwnerOpen:     collections.NewMap(sb, ownerOpenPrefix, "owner_open", collections.BytesKey, collections.Uint64Value),
		HolderStats:   collections.NewMap(sb, holderStatsPrefix, "holder_stats", collections.StringKey, runtime.ProtoValue[HolderStats, *HolderStats]{}),
		Challenges:    collections.NewMap(sb, challengesPrefix, "challenges", collections.Uint64Key, runtime.ProtoValue[Challenge, *Challenge]{}),
		Challengeable: collections.NewKeySet(sb, challengeablePref, "challengeable", collections.Uint64Key),
		Due:           collections.NewKeySet(sb, duePrefix, "due", collections.TripleKeyCodec(collections.Int64Key, collections.Uint64Key, collections.Uint64Key)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("backup: schema: %v", err)) // fixed at compile time: a bug, not an input
	}
	k.Schema = schema
	return k
}

func (k Keeper) GetParams(ctx context.Context) (Params, error) { return k.Params.Get(ctx) }

// agreement returns an agreement or ErrAgreementNotFound.
func (k Keeper) agreement(ctx context.Context, id uint64) (Agreement, error) {
	a, err := k.Agreements.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return a, ErrAgreementNotFound.Wrapf("no agreement %d (query backup agreements <owner> lists an owner's)", id)
	}
	return a, err
}

func (k Keeper) holderStats(ctx context.Context, nodeID string) (HolderStats, error) {
	s, err := k.HolderStats.Get(ctx, nodeID)
	if errors.Is(err, collections.ErrNotFound) {
		return HolderStats{}, nil
	}
	return s, err
}

func (k Keeper) ownerOpen(ctx context.Context, owner crypto.Address) (uint64, error) {
	n, err := k.OwnerOpen.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return n, err
}

func (k Keeper) setOwnerOpen(ctx context.Context, owner crypto.Address, n uint64) error {
	if n == 0 {
		return k.OwnerOpen.Remove(ctx, owner)
	}
	return k.OwnerOpen.Set(ctx, owner, n)
}

// IsOpen says whether an agreement still holds escrow (proposed, active, ending).
func (s Status) IsOpen() bool {
	return s == STATUS_PROPOSED || s == STATUS_ACTIVE || s == STATUS_ENDING
}

// IsServing says whether an agreement is challenged and paid (active, ending).
func (s Status) IsServing() bool { return s == STATUS_ACTIVE || s == STATUS_ENDING }
