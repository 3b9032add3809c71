package registry

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// ModuleName is the module's name, store name, codespace and genesis key.
const ModuleName = "registry"

// Escrow holds every node's deposit until its deregistration. It is a module
// address: no key exists for it.
var Escrow = crypto.ModuleAddress(ModuleName)

// BankKeeper is what the registry needs of x/bank: moving deposits in and out of escrow.
type BankKeeper interface {
	SendCoins(ctx context.Context, from, to crypto.Address, amt types.Coins) error
}

// Prover reads a raw key of a committed store version with its ICS-23 proof
// (app/store.MultiStore.Query); only the resolve query uses it.
type Prover interface {
	Query(name string, key []byte, version int64, prove bool) ([]byte, *store.ProofOps, error)
}

// BackupStats is what the node query needs of x/backup: a node's record as a
// backup holder. It is read when a query runs; the registry stores none of it,
// so x/backup's challenge outcomes never write into this module.
type BackupStats interface {
	// BackupReliability is nil for a node that never held an agreement.
	BackupReliability(ctx context.Context, nodeID string) (*BackupReliability, error)
}

// Store prefixes; never reuse one (stored bytes would be misread).
var (
	paramsPrefix     = collections.NewPrefix(1)
	nodesPrefix      = collections.NewPrefix(2)
	livenessPrefix   = collections.NewPrefix(3)
	ownersPrefix     = collections.NewPrefix(4)
	keysPrefix       = collections.NewPrefix(5)
	indexPrefix      = collections.NewPrefix(6)
	_                = collections.NewPrefix(7) // was index counts before release; left unused
	activeByHBPrefix = collections.NewPrefix(8)
	staleByHBPrefix  = collections.NewPrefix(9)
)

// indexKey is (kind, value, node id): one secondary index for every filterable attribute.
type indexKey = collections.Triple[string, string, string]

// hbKey is (last heartbeat height, node id): the liveness sets, oldest first.
type hbKey = collections.Pair[uint64, string]

// Keeper owns the node directory. Invariants it keeps:
//   - Nodes, Liveness hold the same ids; Owners[o] lists exactly o's node ids, sorted;
//   - Keys maps the hash of every current signing and encryption key, and of rotated-away
//     keys until the next rotation, to its node;
//   - a non-expired node is in exactly one of ActiveByHB / StaleByHB (matching its status)
//     and in the model, region and tier indexes; an expired node in neither, nor in those;
//   - every node is in the status index under its status.
type Keeper struct {
	bank   BankKeeper
	prover Prover
	backup BackupStats // nil: node queries carry no backup reliability

	Schema     collections.Schema
	Params     collections.Item[Params]
	Nodes      collections.Map[string, Node]
	Liveness   collections.Map[string, Liveness]
	Owners     collections.Map[[]byte, OwnerNodes]
	Keys       collections.Map[[]byte, string]
	Index      collections.KeySet[indexKey]
	ActiveByHB collections.KeySet[hbKey]
	StaleByHB  collections.KeySet[hbKey]
}

// NewKeeper builds the keeper; bank and prover may be nil where unused (genesis tooling).
func NewKeeper(storeService runtime.KVStoreService, bank BankKeeper, prover Prover) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	idxCodec := collections.TripleKeyCodec(collections.StringKey, collections.StringKey, collections.StringKey)
	hbCodec := collections.PairKeyCodec(collections.Uint64Key, collections.StringKey)
	k := Keeper{
		bank:       bank,
		prover:     prover,
		Params:     collections.NewItem(sb, paramsPrefix, "params", runtime.ProtoValue[Params, *Params]{}),
		Nodes:      collections.NewMap(sb, nodesPrefix, "nodes", collections.StringKey, runtime.ProtoValue[Node, *Node]{}),
		Liveness:   collections.NewMap(sb, livenessPrefix, "liveness", collections.StringKey, runtime.ProtoValue[Liveness, *Liveness]{}),
		Owners:     collections.NewMap(sb, ownersPrefix, "owners", collections.BytesKey, runtime.ProtoValue[OwnerNodes, *OwnerNodes]{}),
		Keys:       collections.NewMap(sb, keysPrefix, "keys", collections.BytesKey, collections.StringValue),
		Index:      collections.NewKeySet(sb, indexPrefix, "index", idxCodec),
		ActiveByHB: collections.NewKeySet(sb, activeByHBPrefix, "active_by_heartbeat", hbCodec),
		StaleByHB:  collections.NewKeySet(sb, staleByHBPrefix, "stale_by_heartbeat", hbCodec),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("registry: schema: %v", err)) // fixed at compile time: a bug, not an input
	}
	k.Schema = schema
	return k
}

// WithBackupStats returns the keeper with x/backup's holder counters shown in
// node queries. x/backup reads nodes through the keeper built before it, so
// the two are wired without a cycle (app/app.go).
func (k Keeper) WithBackupStats(b BackupStats) Keeper {
	k.backup = b
	return k
}

func (k Keeper) GetParams(ctx context.Context) (Params, error) { return k.Params.Get(ctx) }

func (k Keeper) SetParams(ctx context.Context, p Params) error {
	if err := p.Validate(); err != nil {
		return runtime.ErrInvalidRequest.Wrap(err.Error())
	}
	return k.Params.Set(ctx, p)
}

// GetNode returns a node and its liveness; found is false for an unknown id.
func (k Keeper) GetNode(ctx context.Context, id string) (NodeEntry, bool, error) {
	n, err := k.Nodes.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return NodeEntry{}, false, nil
	}
	if err != nil {
		return NodeEntry{}, false, err
	}
	l, err := k.Liveness.Get(ctx, id)
	if err != nil {
		return NodeEntry{}, false, fmt.Errorf("registry: node %s has no liveness: %w", id, err)
	}
	return NodeEntry{Node: n, Liveness: l}, true, nil
}

// ownerNodes returns the ids of owner's nodes (nil when none).
func (k Keeper) ownerNodes(ctx context.Context, owner crypto.Address) ([]string, error) {
	on, err := k.Owners.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, nil
	}
	return on.NodeIds, err
}

func (k Keeper) setOwnerNodes(ctx context.Context, owner crypto.Address, ids []string) error {
	if len(ids) == 0 {
		return k.Owners.Remove(ctx, owner)
	}
	return k.Owners.Set(ctx, owner, OwnerNodes{NodeIds: ids})
}

// Raw store keys, for proven /store/registry/key queries and resolve.

// NodeKey is the raw key of a node's record in the registry tree.
func NodeKey(id string) ([]byte, error) {
	return collections.EncodeKeyWithPrefix(nodesPrefix, collections.StringKey, id)
}

// LivenessKey is the raw key of a node's liveness in the registry tree.
func LivenessKey(id string) ([]byte, error) {
	return collections.EncodeKeyWithPrefix(livenessPrefix, collections.StringKey, id)
}

// OwnerKey is the raw key of an owner's node-id list in the registry tree.
func OwnerKey(owner crypto.Address) ([]byte, error) {
	return collections.EncodeKeyWithPrefix(ownersPrefix, collections.BytesKey, []byte(owner))
}
