package poai

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	cmtcrypto "github.com/cometbft/cometbft/crypto"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// ModuleName is the module's name, store name, codespace and genesis key.
const ModuleName = "poai"

// Module accounts: bonded (and unbonding) stake, and rewards not yet withdrawn.
var (
	BondedPool  = crypto.ModuleAddress("poai_bonded")
	RewardsPool = crypto.ModuleAddress("poai_rewards")
)

// BankKeeper is what poai needs of x/bank.
type BankKeeper interface {
	SendCoins(ctx context.Context, from, to crypto.Address, amt types.Coins) error
	MintCoins(ctx context.Context, to crypto.Address, amt types.Coins) error
	BurnCoins(ctx context.Context, from crypto.Address, amt types.Coins) error
	GetBalance(ctx context.Context, addr crypto.Address, denom string) (types.Int, error)
	// HasDenom and GetSupply let InitGenesis refuse a bond denom bank does not
	// know, or one without room to mint inflation, at InitChain instead of at block 1.
	HasDenom(ctx context.Context, denom string) (bool, error)
	GetSupply(ctx context.Context, denom string) (types.Int, error)
}

// Store prefixes; never reuse one.
var (
	paramsPrefix         = collections.NewPrefix(1)
	validatorsPrefix     = collections.NewPrefix(2)
	byConsAddrPrefix     = collections.NewPrefix(3)
	lastPowersPrefix     = collections.NewPrefix(4)
	epochPrefix          = collections.NewPrefix(5)
	unbondingPrefix      = collections.NewPrefix(6)
	unbondingSeqPrefix   = collections.NewPrefix(7)
	blockTxsPrefix       = collections.NewPrefix(8)
	flaggedPrefix        = collections.NewPrefix(9)
	rateLimitsPrefix     = collections.NewPrefix(10)
	rateLimitQueuePrefix = collections.NewPrefix(11)
	historyPrefix        = collections.NewPrefix(12)
	leavingPrefix        = collections.NewPrefix(13)
	owedPrefix           = collections.NewPrefix(14)
	validatorCountPrefix = collections.NewPrefix(15)
	unbondingByOpPrefix  = collections.NewPrefix(16)
	keyTypesPrefix       = collections.NewPrefix(17)
	rateLimitCountPrefix = collections.NewPrefix(18)
	keyProofsPrefix      = collections.NewPrefix(19)
	usedConsAddrsPrefix  = collections.NewPrefix(20)
	blockRoomPrefix      = collections.NewPrefix(21)
	pendingScoresPrefix  = collections.NewPrefix(22)
	reportsPrefix        = collections.NewPrefix(23)
)

// Bounds of stored collections.
const (
	MaxValidatorRecords   = 10_000 // create-validator refuses beyond this
	MaxUnbondingEntries   = 7      // per validator, as in the Cosmos SDK
	MaxUnbondingsPerBlock = 100    // matured entries paid per EndBlock
	MaxPrunePerBlock      = 200    // expired rate limits / old flagged txs removed per EndBlock
	ReputationHistoryLen  = 64     // ring size of a validator's reputation history
	MaxFlaggedPerBlock    = 1000   // flagged txs recorded for one scored block
	MaxBlockTxs           = 50_000 // txs remembered for one block
	// blockTxsKept: a block's tx list goes when its scoring window closes; any
	// older than this (a block nobody was expected to score) goes anyway.
	blockTxsKept = MaxScoreWindow + 2
)

// Keeper owns PoAI's state. Invariants: BondedPool holds the sum of self_stake
// plus every unbonding entry; RewardsPool holds at least Owed (the sum of
// outstanding_rewards); LastPowers is exactly what CometBFT was last told.
type Keeper struct {
	bank BankKeeper
	// feeCollector is the account every tx fee goes to (bank's FeeCollector,
	// passed in by the app: WithFeeCollector); each epoch's rewards take its
	// bond-denom balance.
	feeCollector crypto.Address

	Schema collections.Schema
	Params collections.Item[Params]
	// Validators: operator address -> validator, indexed by consensus address
	// (Validators.Indexes.ByConsAddr, stored in ByConsAddr).
	Validators *collections.IndexedMap[[]byte, Validator, ValidatorIndexes]
	// ByConsAddr is the storage of Validators' consensus-address index
	// (consensus address -> operator address): read it, never write it; the
	// IndexedMap keeps it.
	ByConsAddr collections.Map[[]byte, []byte]
	LastPowers collections.Map[[]byte, LastPower] // consensus address -> what CometBFT has
	Epoch      collections.Item[EpochInfo]
	// Unbonding: (completion height, seq) -> entry, indexed by operator
	// (Unbonding.Indexes.ByOp, stored in UnbondingByOp).
	Unbonding    *collections.IndexedMap[collections.Pair[int64, uint64], UnbondingEntry, UnbondingIndexes]
	UnbondingSeq collections.Sequence
	// UnbondingByOp is the storage of Unbonding's operator index (operator,
	// completion, seq): slashing finds a validator's entries. Read it, never
	// write it; the IndexedMap keeps it.
	UnbondingByOp  collections.KeySet[collections.Triple[[]byte, int64, uint64]]
	BlockTxs       collections.Map[int64, StoredBlockTxs]
	Flagged        collections.Map[collections.Pair[int64, uint32], FlaggedTx] // (height, index)
	RateLimits     collections.Map[[]byte, int64]                              // sender -> limited until (exclusive)
	RateLimitQueue collections.KeySet[collections.Pair[int64, []byte]]         // (until, sender), for pruning
	// RateLimitCount is len(RateLimits): the ante asks about every tx's signer, and
	// while no one is limited (the usual case) one hot key answers instead of a
	// tree miss per signer.
	RateLimitCount collections.Item[uint64]
	History        collections.Map[collections.Pair[[]byte, uint64], ReputationRecord]
	Leaving        collections.KeySet[[]byte] // consensus addresses to drop from the set this block
	Owed           collections.Item[uint64]   // sum of outstanding rewards
	ValidatorCount collections.Item[uint64]
	KeyTypes       collections.Item[string] // comma-separated key types CometBFT's consensus params allow; unset = both
	// KeyProofs keeps each validator's proof of possession of its consensus key
	// (consensus address -> signature), out of the validator record so the
	// records read every block stay small; ExportGenesis puts it back.
	KeyProofs collections.Map[[]byte, []byte]
	// UsedConsAddrs is every consensus address the chain ever accepted: PoAI
	// validators and the validators CometBFT's genesis.json named. Never pruned:
	// create-validator refuses a key any validator, past or present, had.
	UsedConsAddrs collections.KeySet[[]byte]
	// BlockRoom is the largest active set whose commits fit the chain's blocks
	// (SetBlockRoom, from the consensus params at InitChain); unset = no bound.
	BlockRoom collections.Item[uint64]
	// PendingScores: height -> a block whose validators' scores are still being
	// collected (scoring.go); Reports: (height, consensus address) -> its scores.
	PendingScores collections.Map[int64, PendingScores]
	Reports       collections.Map[collections.Pair[int64, []byte], StoredReport]
}

// KeeperOption configures NewKeeper.
type KeeperOption func(*Keeper)

// WithFeeCollector names the account tx fees are paid into (x/bank's
// FeeCollector): each epoch end moves its bond-denom balance into the rewards.
// A keeper that runs EndBlock needs it; genesis-only keepers (nil bank) do not.
func WithFeeCollector(addr crypto.Address) KeeperOption {
	return func(k *Keeper) { k.feeCollector = addr }
}

func NewKeeper(storeService runtime.KVStoreService, bank BankKeeper, opts ...KeeperOption) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	// The index collections keep the prefixes and bytes of the hand-kept indexes
	// they replaced (by_cons_addr 0x03, unbonding_by_op 0x10): no migration.
	byConsAddr := collections.NewMap(sb, byConsAddrPrefix, "by_cons_addr", collections.BytesKey, collections.BytesValue)
	unbondingByOp := collections.NewKeySet(sb, unbondingByOpPrefix, "unbonding_by_op",
		collections.TripleKeyCodec(collections.BytesKey, collections.Int64Key, collections.Uint64Key))
	k := Keeper{
		bank:   bank,
		Params: collections.NewItem(sb, paramsPrefix, "params", runtime.ProtoValue[Params, *Params]{}),
		Validators: collections.NewIndexedMap(sb, validatorsPrefix, "validators", collections.BytesKey,
			runtime.ProtoValue[Validator, *Validator]{}, ValidatorIndexes{
				ByConsAddr: runtime.NewUniqueIndex(byConsAddr, bytes.Equal, func(_ []byte, v Validator) ([]byte, error) {
					return v.ConsensusAddress, nil
				}),
			}),
		ByConsAddr: byConsAddr,
		LastPowers: collections.NewMap(sb, lastPowersPrefix, "last_powers", collections.BytesKey, runtime.ProtoValue[LastPower, *LastPower]{}),
		Epoch:      collections.NewItem(sb, epochPrefix, "epoch", runtime.ProtoValue[EpochInfo, *EpochInfo]{}),
		Unbonding: collections.NewIndexedMap(sb, unbondingPrefix, "unbonding", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key),
			runtime.ProtoValue[UnbondingEntry, *UnbondingEntry]{}, UnbondingIndexes{
				ByOp: runtime.NewMultiIndex(collections.Map[collections.Triple[[]byte, int64, uint64], collections.NoValue](unbondingByOp),
					collections.NoValue{}, unbondingByOpKey),
			}),
		UnbondingSeq:  collections.NewSequence(sb, unbondingSeqPrefix, "unbonding_seq"),
		UnbondingByOp: unbondingByOp,
		BlockTxs:      collections.NewMap(sb, blockTxsPrefix, "block_txs", collections.Int64Key, runtime.ProtoValue[StoredBlockTxs, *StoredBlockTxs]{}),
		Flagged:       collections.NewMap(sb, flaggedPrefix, "flagged", collections.PairKeyCodec(collections.Int64Key, collections.Uint32Key), runtime.ProtoValue[FlaggedTx, *FlaggedTx]{}),
		RateLimits:    collections.NewMap(sb, rateLimitsPrefix, "rate_limits", collections.BytesKey, collections.Int64Value),
		RateLimitQueue: collections.NewKeySet(sb, rateLimitQueuePrefix, "rate_limit_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.BytesKey)),
		History: collections.NewMap(sb, historyPrefix, "history",
			collections.PairKeyCodec(collections.BytesKey, collections.Uint64Key), runtime.ProtoValue[ReputationRecord, *ReputationRecord]{}),
		Leaving:        collections.NewKeySet(sb, leavingPrefix, "leaving", collections.BytesKey),
		Owed:           collections.NewItem(sb, owedPrefix, "owed", collections.Uint64Value),
		ValidatorCount: collections.NewItem(sb, validatorCountPrefix, "validator_count", collections.Uint64Value),
		RateLimitCount: collections.NewItem(sb, rateLimitCountPrefix, "rate_limit_count", collections.Uint64Value),
		KeyTypes:       collections.NewItem(sb, keyTypesPrefix, "key_types", collections.StringValue),
		KeyProofs:      collections.NewMap(sb, keyProofsPrefix, "key_proofs", collections.BytesKey, collections.BytesValue),
		UsedConsAddrs:  collections.NewKeySet(sb, usedConsAddrsPrefix, "used_cons_addrs", collections.BytesKey),
		BlockRoom:      collections.NewItem(sb, blockRoomPrefix, "block_room", collections.Uint64Value),
		PendingScores:  collections.NewMap(sb, pendingScoresPrefix, "pending_scores", collections.Int64Key, runtime.ProtoValue[PendingScores, *PendingScores]{}),
		Reports: collections.NewMap(sb, reportsPrefix, "reports", collections.PairKeyCodec(collections.Int64Key, collections.BytesKey),
			runtime.ProtoValue[StoredReport, *StoredReport]{}),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("poai: schema: %v", err)) // fixed at compile time: a bug, not an input
	}
	k.Schema = schema
	for _, o := range opts {
		o(&k)
	}
	return k
}

// ValidatorIndexes are the secondary indexes of Keeper.Validators.
type ValidatorIndexes struct {
	// ByConsAddr: consensus address -> operator address. A validator's
	// consensus address never changes, so the per-block updates of its record
	// read this index once and write nothing to it.
	ByConsAddr *runtime.UniqueIndex[[]byte, []byte, Validator]
}

func (i ValidatorIndexes) IndexesList() []collections.Index[[]byte, Validator] {
	return []collections.Index[[]byte, Validator]{i.ByConsAddr}
}

// UnbondingIndexes are the secondary indexes of Keeper.Unbonding.
type UnbondingIndexes struct {
	// ByOp: (operator, completion height, seq), one key per entry.
	ByOp *runtime.MultiIndex[collections.Triple[[]byte, int64, uint64], collections.Pair[int64, uint64], UnbondingEntry, collections.NoValue]
}

func (i UnbondingIndexes) IndexesList() []collections.Index[collections.Pair[int64, uint64], UnbondingEntry] {
	return []collections.Index[collections.Pair[int64, uint64], UnbondingEntry]{i.ByOp}
}

// unbondingByOpKey is an entry's key in the operator index.
func unbondingByOpKey(key collections.Pair[int64, uint64], e UnbondingEntry) (collections.Triple[[]byte, int64, uint64], error) {
	op, err := crypto.AddressFromBech32(e.OperatorAddress)
	if err != nil {
		return collections.Triple[[]byte, int64, uint64]{}, fmt.Errorf("poai: unbonding entry with a bad operator address %q: %w", e.OperatorAddress, err)
	}
	return collections.Join3([]byte(op), key.K1(), key.K2()), nil
}

func (k Keeper) GetParams(ctx context.Context) (Params, error) { return k.Params.Get(ctx) }

// getOr reads an item, returning def when it was never written.
func getOr[T any](ctx context.Context, it collections.Item[T], def T) (T, error) {
	v, err := it.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return def, nil
	}
	return v, err
}

// GetValidator returns the validator of an operator; found is false when none.
func (k Keeper) GetValidator(ctx context.Context, operator crypto.Address) (Validator, bool, error) {
	v, err := k.Validators.Get(ctx, operator)
	if errors.Is(err, collections.ErrNotFound) {
		return Validator{}, false, nil
	}
	return v, err == nil, err
}

// ValidatorByConsAddr returns the validator whose consensus address is consAddr.
func (k Keeper) ValidatorByConsAddr(ctx context.Context, consAddr []byte) (Validator, bool, error) {
	op, err := k.ByConsAddr.Get(ctx, consAddr)
	if errors.Is(err, collections.ErrNotFound) {
		return Validator{}, false, nil
	}
	if err != nil {
		return Validator{}, false, err
	}
	v, err := k.Validators.Get(ctx, op)
	if err != nil {
		return Validator{}, false, fmt.Errorf("poai: index names operator %X without a validator: %w", op, err)
	}
	return v, true, nil
}

func (k Keeper) setValidator(ctx context.Context, v Validator) error {
	op, err := crypto.AddressFromBech32(v.OperatorAddress)
	if err != nil {
		return fmt.Errorf("poai: stored validator with a bad operator address %q: %w", v.OperatorAddress, err)
	}
	return k.Validators.Set(ctx, op, v)
}

// ConsensusPubKey returns the consensus key of the validator whose CometBFT
// address (20 bytes) is consAddr, in the state ctx reads: a registered PoAI
// validator, or a member of the set CometBFT was last given (genesis validators
// not registered with PoAI included). An error wrapping ErrValidatorNotFound if none.
func (k Keeper) ConsensusPubKey(ctx context.Context, consAddr []byte) (cmtcrypto.PubKey, error) {
	v, found, err := k.ValidatorByConsAddr(ctx, consAddr)
	if err != nil {
		return nil, err
	}
	if found {
		return PubKeyFromConsensusKey(v.ConsensusKey)
	}
	lp, err := k.LastPowers.Get(ctx, consAddr)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, ErrValidatorNotFound.Wrapf("no validator has consensus address %X", consAddr)
	}
	if err != nil {
		return nil, err
	}
	return PubKeyFromConsensusKey(lp.ConsensusKey)
}
