// Package app is the SELF application: its modules, their wiring and the ABCI 2.0
// handlers CometBFT drives (one file per hook).
package app

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app/mempool"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/auth/ante"
	"github.com/selfchain/selfchain/x/backup"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/bridge"
	"github.com/selfchain/selfchain/x/permissions"
	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/registry"
	"github.com/selfchain/selfchain/x/upgrade"
)

const (
	AppName = "selfchain"
	// AppVersion is the application protocol version reported to CometBFT.
	AppVersion uint64 = 1
	// BondDenom is the native token's base denomination.
	BondDenom = "uself"
)

// Version is the software version, set at build time with -ldflags.
var Version = "dev"

var _ abci.Application = (*App)(nil)

// App is the SELF state machine. The consensus connection (FinalizeBlock, Commit,
// proposals) and the mempool connection (CheckTx) run on different goroutines: the
// consensus side owns `block`; CheckTx works on its own branch of the last committed
// state under checkMu; queries read committed versions, which are immutable.
type App struct {
	logger log.Logger
	db     dbm.DB
	cms    *store.MultiStore
	cfg    Config

	mm      *runtime.Manager
	msgs    *runtime.MsgRouter
	queries *runtime.QueryRouter
	ante    *ante.Ante
	sigs    *tx.SigCache

	AuthKeeper        auth.Keeper
	BankKeeper        bank.Keeper
	PoaiKeeper        poai.Keeper
	PermissionsKeeper permissions.Keeper
	RegistryKeeper    registry.Keeper
	BackupKeeper      backup.Keeper
	BridgeKeeper      bridge.Keeper
	UpgradeKeeper     upgrade.Keeper

	upgrades []UpgradeHandler         // upgradeList: the plans this binary applies
	pending  *pendingUpgrade          // the plan this process opened its stores for
	halt     chan *UpgradeNeededError // a halt at an upgrade height, for the node's process

	chainID    string
	lastCommit atomic.Pointer[store.CommitID]
	// blockMaxGas is the consensus block.max_gas (-1: unlimited), recorded at InitChain.
	blockMaxGas int64
	// lastBlockTime is the last committed block's time (unix ns): queries and simulations
	// judge time-dependent state (a bridge client's expiry, a transfer's default timeout)
	// by it, never by the wall clock.
	lastBlockTime atomic.Int64

	// consensus connection only
	decoded   map[[32]byte]*tx.Tx // txs decoded once per height by the proposal hooks and FinalizeBlock
	decodedAt map[txRef]*tx.Tx    // the same txs by the memory they were decoded from (decode_cache.go)
	finalized *finalizeResult     // set by FinalizeBlock, consumed by Commit

	// pool is the app-side mempool (config.toml [mempool] type = "app"), nil with
	// CometBFT's flood mempool. touched lists the signers of the block being
	// finalized, whose pending txs are re-checked after Commit (consensus
	// connection; the re-check reads it until it ends). recheck is the re-check
	// under way or last run (mempool_recheck.go).
	pool    *mempool.Pool
	touched []string
	recheck atomic.Pointer[recheckRun]
	budget  *budget // the pool's bounds under overload (mempool_budget.go)
	// committed is the last committed state as admission and the re-check read it,
	// shared by all of them (mempool_state.go).
	committed   atomic.Pointer[committedState]
	committedMu sync.Mutex

	// mempool connection
	checkMu     sync.Mutex
	checkBranch *store.Branch
	checkHeight int64

	// PoAI vote extensions (consensus connection, plus the analyzer's own goroutine)
	poai poaiWiring

	ss stateSync // snapshots taken, served and restored (snapshots.go)
}

type finalizeResult struct {
	height int64
	time   time.Time
}

// iavlCacheCaps caps the IAVL node cache of stores that write few, large values
// per block. x/poai writes ~6 nodes a block, one of them the block's tx list
// (~58 bytes a tx); with the default 100,000-node cache a loaded node kept every
// dead list for thousands of blocks (+82 MB in 10 minutes at 2,500 tx/s, heading
// for GBs). 256 nodes keep ~40 blocks' worth; x/poai reads go through IAVL's fast
// index, and the few paths it writes a block load from the DB's own cache.
var iavlCacheCaps = map[string]int{poai.ModuleName: 256}

// New opens the application on db (already holding its state, or empty).
func New(logger log.Logger, db dbm.DB, cfg Config) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = log.NewNopLogger()
	}
	minGas, _ := tx.ParseGasPrices(cfg.MinGasPrices)
	a := &App{logger: logger, db: db, cfg: cfg, decoded: map[[32]byte]*tx.Tx{}, decodedAt: map[txRef]*tx.Tx{}, halt: make(chan *UpgradeNeededError, 1)}
	a.budget = newBudget(cfg.Mempool) // both mempools: it caps proposals (mempool_budget.go)

	// The routers come first: x/permissions dispatches MsgExec's inner messages
	// through the message router (filled by RegisterServices below).
	a.msgs, a.queries = runtime.NewMsgRouter(), runtime.NewQueryRouter()
	a.mm = runtime.NewManager(moduleList(a)...)
	pruning, _ := cfg.PruningOptions()
	a.upgrades = upgradeList(a)
	up, err := a.upgradeAtOpen(db)
	if err != nil {
		return nil, err
	}
	cms, err := openState(db, a.mm.Names(), store.Options{Pruning: pruning, IAVLCacheSize: cfg.State.IAVLCacheSize, IAVLCacheCaps: iavlCacheCaps,
		NoPrefetch: cfg.State.NoWritePrefetch}, up)
	if err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	a.cms = cms
	a.mm.RegisterServices(runtime.Registrars{Msg: a.msgs, Query: a.queries})

	a.sigs = tx.NewSigCache(cfg.SigCacheSize)
	a.sigs.OnVerify(metricSigVerifications.Inc)
	a.ante = &ante.Ante{Accounts: a.AuthKeeper, Fees: a.BankKeeper, Sigs: a.sigs, MinGasPrices: minGas, RateLimits: a.PoaiKeeper}

	// PoAI is always on: x/poai's keeper is the vote-extension pipeline's state.
	if err := a.enablePoAI(a.PoaiKeeper); err != nil {
		return nil, err
	}

	if bz, err := db.Get(chainIDKey); err != nil {
		return nil, err
	} else {
		a.chainID = string(bz)
	}
	if err := a.loadBlockParams(); err != nil {
		return nil, err
	}
	if bz, err := db.Get(lastBlockTimeKey); err != nil {
		return nil, err
	} else if len(bz) == 8 {
		a.lastBlockTime.Store(int64(binary.BigEndian.Uint64(bz)))
	}
	last := cms.LastCommitID()
	a.lastCommit.Store(&last)
	if err := a.resetCheckState(last.Version); err != nil {
		return nil, err
	}
	a.openSnapshots()
	return a, nil
}

// chainIDKey keeps the chain id (learnt at InitChain) outside the merkle state:
// CometBFT does not repeat it in later requests.
var chainIDKey = []byte("selfchain/chain-id")

// lastBlockTimeKey keeps the last committed block's time outside the merkle state
// (written unsynced at Commit: after a crash it is one block stale until the next).
var lastBlockTimeKey = []byte("selfchain/last-block-time")

// LastBlockTime is the last committed block's time (zero before the first block).
func (a *App) LastBlockTime() time.Time {
	ns := a.lastBlockTime.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// Close releases the state database.
func (a *App) Close() error {
	a.waitRecheck()    // it reads the committed state
	a.closeSnapshots() // before the store: a snapshot reads it
	a.closePoAI()
	return a.cms.Close()
}

// ChainID is the chain this state belongs to ("" before InitChain).
func (a *App) ChainID() string { return a.chainID }

// MsgRouter exposes routable message types (tests, tools).
func (a *App) MsgRouter() *runtime.MsgRouter { return a.msgs }

// LastCommitID is the last committed version and app hash; safe from any goroutine.
func (a *App) LastCommitID() store.CommitID { return *a.lastCommit.Load() }

// modules is the module list, the one place a module is added. A module's line
// gives it everything: its store (named after the module), its genesis section
// (default, validation, init), its Msg and Query services, its block hooks and
// its `selfchaind tx` / `query` commands. The order is execution order (InitGenesis,
// InitChain, BeginBlock, EndBlock); store order does not matter (the app hash
// sorts stores by name).
//
// The keepers are built into a, wired explicitly: each gets only the narrow
// interfaces it declares. On a zero App (Modules: no store, no routers) the list
// serves genesis and the CLI, which never reach a keeper's dependencies.
func modules(a *App) []runtime.Module {
	a.AuthKeeper = auth.NewKeeper(runtime.NewKVStoreService(auth.ModuleName))
	a.BankKeeper = bank.NewKeeper(runtime.NewKVStoreService(bank.ModuleName), a.AuthKeeper)
	a.PoaiKeeper = poai.NewKeeper(runtime.NewKVStoreService(poai.ModuleName), a.BankKeeper, poai.WithFeeCollector(bank.FeeCollector))
	a.PermissionsKeeper = permissions.NewKeeper(runtime.NewKVStoreService(permissions.ModuleName), a.BankKeeper, a.msgs, execRules())
	a.RegistryKeeper = registry.NewKeeper(runtime.NewKVStoreService(registry.ModuleName), a.BankKeeper, committedStores{a})
	// x/backup reads nodes; x/registry's node query reads x/backup's holder
	// counters back (query only: each module still writes only its own store).
	a.BackupKeeper = backup.NewKeeper(runtime.NewKVStoreService(backup.ModuleName), a.BankKeeper, a.RegistryKeeper)
	a.RegistryKeeper = a.RegistryKeeper.WithBackupStats(a.BackupKeeper)
	a.BridgeKeeper = bridge.NewKeeper(runtime.NewKVStoreService(bridge.ModuleName), a.BankKeeper)
	a.UpgradeKeeper = upgrade.NewKeeper(runtime.NewKVStoreService(upgrade.ModuleName))
	return []runtime.Module{
		auth.NewModule(a.AuthKeeper),
		bank.NewModule(a.BankKeeper),
		permissions.NewModule(a.PermissionsKeeper),
		registry.NewModule(a.RegistryKeeper),
		bridge.NewModule(a.BridgeKeeper),
		backup.NewModule(a.BackupKeeper), // after registry: reads its nodes
		upgrade.NewModule(a.UpgradeKeeper),
		poai.NewModule(a.PoaiKeeper), // after bank: its EndBlock moves fees and mints inflation
	}
}

// moduleList is modules; TestOneLineAddsAModule swaps it to add a module.
var moduleList = modules

// Modules is the module list without a store: for genesis (DefaultGenesisAppState,
// ValidateGenesisAppState), the CLI's tx and query trees and `version --long`.
func Modules() *runtime.Manager { return runtime.NewManager(moduleList(&App{})...) }

// committedStores reads committed store versions with proofs (x/registry's resolve
// query); the keepers are built before the store is opened.
type committedStores struct{ a *App }

func (s committedStores) Query(name string, key []byte, version int64, prove bool) ([]byte, *store.ProofOps, error) {
	return s.a.cms.Query(name, key, version, prove)
}

// execRules are the messages an app may execute for a user through
// permissions.MsgExec, each with the grant scope it needs: one row per message type.
func execRules() []permissions.ExecRule {
	return []permissions.ExecRule{
		{Msg: &bank.MsgSend{}, Scope: "bank:send", Spend: func(m runtime.Msg) types.Coins { return m.(*bank.MsgSend).Amount }},
		{Msg: &registry.MsgHeartbeat{}, Scope: "registry:heartbeat"},
	}
}

// bankGenesis is poai's view of bank's genesis (poai.BankGenesis): the denoms
// bank knows and the supply its balances add up to.
type bankGenesis struct{ gs bank.GenesisState }

func (b bankGenesis) HasDenom(denom string) bool {
	for _, md := range b.gs.DenomMetadata {
		if md.Base == denom {
			return true
		}
	}
	return false
}

func (b bankGenesis) Supply(denom string) (types.Int, error) {
	var supply types.Int
	for _, bal := range b.gs.Balances {
		for _, c := range bal.Coins {
			if c.Denom != denom {
				continue
			}
			sum, err := supply.Add(c.Amount)
			if err != nil {
				return types.Int{}, fmt.Errorf("bank balances of %s overflow", denom) // bank's own validation says where
			}
			supply = sum
		}
	}
	return supply, nil
}

// DefaultGenesisAppState is the app_state of a new genesis.json.
func DefaultGenesisAppState() map[string]json.RawMessage { return Modules().DefaultGenesis() }

// ValidateGenesisAppState checks a genesis app_state of chain chainID (the
// genesis chain id, which the genesis validators' consensus key proofs are
// bound to), naming the bad field.
func ValidateGenesisAppState(chainID string, raw json.RawMessage) error {
	state := map[string]json.RawMessage{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &state); err != nil {
			return runtime.ErrInvalidGenesis.Wrapf("app_state: %v", err)
		}
	}
	if err := Modules().ValidateGenesis(state); err != nil {
		return err
	}
	// Cross-module: poai's bond denom must be one bank knows (else block 1 halts minting inflation).
	bgs := bank.DefaultGenesis()
	if raw := state[bank.ModuleName]; len(raw) > 0 {
		bgs = bank.GenesisState{}
		if err := runtime.UnmarshalGenesis(raw, &bgs); err != nil {
			return runtime.ErrInvalidGenesis.Wrapf("app_state.%s: %v", bank.ModuleName, err)
		}
	}
	if err := poai.ValidateGenesisWithBank(state[poai.ModuleName], bankGenesis{bgs}); err != nil {
		return runtime.ErrInvalidGenesis.Wrapf("app_state.%s: %v", poai.ModuleName, err)
	}
	// Each genesis validator proves possession of its consensus key for this chain.
	if err := poai.ValidateGenesisKeyProofs(chainID, state[poai.ModuleName]); err != nil {
		return runtime.ErrInvalidGenesis.Wrapf("app_state.%s: %v", poai.ModuleName, err)
	}
	return nil
}
