package bridge

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// ModuleName is the module's name, store name, codespace and genesis key.
const ModuleName = "bridge"

// EscrowAddress holds the tokens sent over one client until they come home: one
// escrow per client (as ICS-20 keeps one per channel), so a counterparty whose
// validators turn malicious can release at most what was sent to it. A module
// address: no key exists for it.
func EscrowAddress(clientID string) crypto.Address {
	return crypto.ModuleAddress(ModuleName + "/escrow/" + clientID)
}

// BankKeeper is what the transfer app needs of x/bank.
type BankKeeper interface {
	SendCoins(ctx context.Context, from, to crypto.Address, amt types.Coins) error
	MintCoins(ctx context.Context, to crypto.Address, amt types.Coins) error
	BurnCoins(ctx context.Context, from crypto.Address, amt types.Coins) error
	EnsureDenom(ctx context.Context, denom, description string) error
}

// Collection prefixes stay below 0x20: the provable packet keys (keys.go) start with
// a client id, which is printable, so the two never collide. Never reuse a prefix.
var (
	paramsPrefix     = collections.NewPrefix(1)
	clientsPrefix    = collections.NewPrefix(2)
	consensusPrefix  = collections.NewPrefix(3)
	clientSeqPrefix  = collections.NewPrefix(4)
	packetsPrefix    = collections.NewPrefix(5)
	acksPrefix       = collections.NewPrefix(6)
	denomTracePrefix = collections.NewPrefix(7)
)

// seqKey is (client id, sequence).
type seqKey = collections.Pair[string, uint64]

// Keeper owns light clients, packets and the transfer app's denom traces. Invariants:
//   - every client has a consensus state at its latest_height;
//   - Packets holds exactly the packets whose commitment (keys.go) exists;
//   - Acks holds the acknowledgement of every receipt, under the same (client, sequence).
type Keeper struct {
	bank   BankKeeper
	stores runtime.KVStoreService
	apps   map[string]App // by port

	Schema          collections.Schema
	Params          collections.Item[Params]
	Clients         collections.Map[string, ClientState]
	ConsensusStates collections.Map[collections.Pair[string, uint64], ConsensusState]
	ClientSeq       collections.Sequence
	Packets         collections.Map[seqKey, Packet]
	Acks            collections.Map[seqKey, Acknowledgement]
	DenomTraces     collections.Map[string, DenomTrace]
}

// NewKeeper builds the keeper with the transfer app on port "transfer"; bank may be nil
// where unused (genesis tooling).
func NewKeeper(storeService runtime.KVStoreService, bank BankKeeper) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	seqCodec := collections.PairKeyCodec(collections.StringKey, collections.Uint64Key)
	k := Keeper{
		bank:            bank,
		stores:          storeService,
		Params:          collections.NewItem(sb, paramsPrefix, "params", runtime.ProtoValue[Params, *Params]{}),
		Clients:         collections.NewMap(sb, clientsPrefix, "clients", collections.StringKey, runtime.ProtoValue[ClientState, *ClientState]{}),
		ConsensusStates: collections.NewMap(sb, consensusPrefix, "consensus_states", seqCodec, runtime.ProtoValue[ConsensusState, *ConsensusState]{}),
		ClientSeq:       collections.NewSequence(sb, clientSeqPrefix, "client_sequence"),
		Packets:         collections.NewMap(sb, packetsPrefix, "packets", seqCodec, runtime.ProtoValue[Packet, *Packet]{}),
		Acks:            collections.NewMap(sb, acksPrefix, "acks", seqCodec, runtime.ProtoValue[Acknowledgement, *Acknowledgement]{}),
		DenomTraces:     collections.NewMap(sb, denomTracePrefix, "denom_traces", collections.StringKey, runtime.ProtoValue[DenomTrace, *DenomTrace]{}),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("bridge: schema: %v", err)) // fixed at compile time: a bug, not an input
	}
	k.Schema = schema
	k.apps = map[string]App{TransferPort: transferApp{k}}
	return k
}

func (k Keeper) GetParams(ctx context.Context) (Params, error) { return k.Params.Get(ctx) }

// client returns a client or ErrClientNotFound.
func (k Keeper) client(ctx context.Context, id string) (ClientState, error) {
	c, err := k.Clients.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return c, ErrClientNotFound.Wrapf("no client %q on this chain (query bridge clients lists them)", id)
	}
	return c, err
}

// consensusState returns the consensus state of client id at height, or ErrConsensusStateNotFound.
func (k Keeper) consensusState(ctx context.Context, id string, height uint64) (ConsensusState, error) {
	cs, err := k.ConsensusStates.Get(ctx, collections.Join(id, height))
	if errors.Is(err, collections.ErrNotFound) {
		return cs, ErrConsensusStateNotFound.Wrapf("client %s has no verified header at height %d: update the client to that height first", id, height)
	}
	return cs, err
}
