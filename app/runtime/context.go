package runtime

import (
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections/corecompat"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"

	"github.com/selfchain/selfchain/app/store"
)

// ExecMode says why state is being touched; modules rarely need it.
type ExecMode uint8

const (
	ModeFinalize ExecMode = iota // executing a decided block
	ModeCheck                    // admission to the mempool
	ModeRecheck                  // re-admission after a block
	ModeSimulate                 // gas estimation
	ModeQuery                    // read-only query
	ModeGenesis                  // InitChain
)

// Header is what a module may know of the current block.
type Header struct {
	ChainID         string
	Height          int64
	Time            time.Time
	ProposerAddress []byte
	// LastCommit (who signed the previous block) and Misbehavior (evidence of
	// double signing) as CometBFT decided them; set in FinalizeBlock only.
	LastCommit  abci.CommitInfo
	Misbehavior []abci.Misbehavior
	// Hash is the block's hash (FinalizeBlock only): randomness no one knows
	// before the block is decided (x/backup's challenges).
	Hash []byte
}

// Stores gives access to each module's KVStore in one branch of state.
type Stores interface {
	Store(name string) store.KVStore
}

// Context carries one execution's state access, block header, gas meter and
// events. It implements context.Context so module code takes a plain
// context.Context (what collections expects) and Unwrap recovers it without
// context.WithValue chains on the hot path.
type Context struct {
	std     context.Context
	stores  Stores
	header  Header
	gas     *GasMeter
	gasCfg  *GasConfig
	events  *EventManager
	mode    ExecMode
	logger  log.Logger
	metered bool
	// meteredKV holds the gas-metering wrappers of this context's stores when it
	// is metered, so KVStore hands out the same one each time instead of boxing a
	// new gasKV per call (~20 per bank send). Rebuilt whenever stores, meter or
	// gas config change; shared by copies that change none of them.
	meteredKV *gasStores
}

type ctxKey struct{}

// NewContext builds a Context. gas nil means an infinite, unmetered meter.
func NewContext(std context.Context, stores Stores, header Header, mode ExecMode, logger log.Logger) *Context {
	if std == nil {
		std = context.Background()
	}
	if logger == nil {
		logger = log.NewNopLogger()
	}
	cfg := DefaultGasConfig()
	return &Context{
		std: std, stores: stores, header: header, mode: mode, logger: logger,
		gas: NewGasMeter(InfiniteGas), gasCfg: &cfg, events: NewEventManager(),
	}
}

// WithStores returns a copy that reads and writes another branch. Its events
// still go to c's event manager: a caller that collects a branch's events on
// their own gives it a fresh one with WithEventManager.
func (c *Context) WithStores(s Stores) *Context {
	if c.metered {
		return c.ForTx(s, c.events, c.gas)
	}
	cp := *c
	cp.stores = s
	return &cp
}

// meteredContext allocates a metered Context and its store wrappers together.
type meteredContext struct {
	Context
	kv gasStores
}

// ForTx returns a copy that reads and writes s, sends its events to em and charges
// g (nil: unmetered) — what WithStores, WithEventManager and WithGasMeter do one
// after another, in one allocation instead of four: the block path calls it twice
// per tx.
func (c *Context) ForTx(s Stores, em *EventManager, g *GasMeter) *Context {
	if g == nil || g.Limit() == InfiniteGas {
		return c.WithStores(s).WithEventManager(em).WithGasMeter(g)
	}
	mc := &meteredContext{Context: *c}
	mc.stores, mc.events, mc.gas, mc.metered = s, em, g, true
	mc.meteredKV = &mc.kv
	return &mc.Context
}

// WithEventManager returns a copy whose events go to em (NewEventManager for a
// fresh, empty one).
func (c *Context) WithEventManager(em *EventManager) *Context {
	cp := *c
	cp.events = em
	return &cp
}

// WithGasMeter returns a copy whose store access is charged to g.
func (c *Context) WithGasMeter(g *GasMeter) *Context {
	cp := *c
	cp.gas = g
	cp.metered = g != nil && g.Limit() != InfiniteGas
	if g == nil {
		cp.gas = NewGasMeter(InfiniteGas)
	}
	cp.resetMetered()
	return &cp
}

func (c *Context) WithGasConfig(cfg GasConfig) *Context {
	cp := *c
	cp.gasCfg = &cfg
	cp.resetMetered()
	return &cp
}

// resetMetered gives a copy whose meter or gas config changed its own (empty)
// set of metering wrappers.
func (c *Context) resetMetered() {
	c.meteredKV = nil
	if c.metered {
		c.meteredKV = &gasStores{}
	}
}
func (c *Context) WithMode(m ExecMode) *Context { cp := *c; cp.mode = m; return &cp }
func (c *Context) WithHeader(h Header) *Context { cp := *c; cp.header = h; return &cp }

func (c *Context) Header() Header              { return c.header }
func (c *Context) ChainID() string             { return c.header.ChainID }
func (c *Context) BlockHeight() int64          { return c.header.Height }
func (c *Context) BlockTime() time.Time        { return c.header.Time }
func (c *Context) GasMeter() *GasMeter         { return c.gas }
func (c *Context) GasConfig() GasConfig        { return *c.gasCfg }
func (c *Context) EventManager() *EventManager { return c.events }
func (c *Context) Mode() ExecMode              { return c.mode }
func (c *Context) IsCheckTx() bool             { return c.mode == ModeCheck || c.mode == ModeRecheck }
func (c *Context) Logger() log.Logger          { return c.logger }
func (c *Context) Stores() Stores              { return c.stores }

// KVStore returns a module's store in this context, metered when the context has a finite gas meter.
func (c *Context) KVStore(name string) store.KVStore {
	s := c.stores.Store(name)
	if !c.metered {
		return s
	}
	return c.meteredKV.wrap(name, s, c.gas, c.gasCfg)
}

// context.Context
func (c *Context) Deadline() (time.Time, bool) { return c.std.Deadline() }
func (c *Context) Done() <-chan struct{}       { return c.std.Done() }
func (c *Context) Err() error                  { return c.std.Err() }
func (c *Context) Value(key any) any {
	if key == (ctxKey{}) {
		return c
	}
	return c.std.Value(key)
}

// Unwrap returns the runtime Context behind ctx. It panics when ctx did not come from
// the runtime: module code is only ever called with one, so that is a wiring bug.
func Unwrap(ctx context.Context) *Context {
	if c, ok := ctx.(*Context); ok {
		return c
	}
	if c, ok := ctx.Value(ctxKey{}).(*Context); ok {
		return c
	}
	panic("runtime.Unwrap: context does not carry a runtime Context")
}

// KVStoreService hands a module its own store from the runtime Context; it is
// the core/store service collections builds on.
type KVStoreService struct{ name string }

var _ corecompat.KVStoreService = KVStoreService{}

func NewKVStoreService(storeName string) KVStoreService { return KVStoreService{name: storeName} }

func (s KVStoreService) OpenKVStore(ctx context.Context) corecompat.KVStore {
	return Unwrap(ctx).KVStore(s.name)
}

// branchable is a Stores that can open a nested write buffer (store.Branch).
type branchable interface {
	Stores
	Branch() *store.Branch
}

// Branch returns a child context whose writes and events reach c only when commit is
// called: a module runs a step whose failure must leave no trace (x/bridge runs each
// packet's app this way and turns a failure into an error acknowledgement). It fails
// on stores that cannot branch (in-memory keeper-test stores).
func (c *Context) Branch() (child *Context, commit func() error, err error) {
	b, ok := c.stores.(branchable)
	if !ok {
		return nil, nil, fmt.Errorf("runtime: stores of type %T cannot branch", c.stores)
	}
	nb := b.Branch()
	child = c.WithStores(nb).WithEventManager(NewEventManager())
	return child, func() error {
		if err := nb.Write(); err != nil {
			return err
		}
		c.events.Append(child.events.Events()...)
		return nil
	}, nil
}
