package runtime

import (
	"context"
	"encoding/json"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/spf13/cobra"
)

// Module is the least a module is: a name (also its store and codespace name)
// and a consensus version, bumped whenever its stored bytes change.
type Module interface {
	Name() string
	ConsensusVersion() uint64
}

// HasGenesis modules own a section of the genesis app_state.
type HasGenesis interface {
	DefaultGenesis() json.RawMessage
	// ValidateGenesis names the bad field in its error.
	ValidateGenesis(json.RawMessage) error
	InitGenesis(ctx context.Context, data json.RawMessage) error
	ExportGenesis(ctx context.Context) (json.RawMessage, error)
}

// ChainGenesis is what InitChain tells modules beyond their app_state section.
type ChainGenesis struct {
	// ConsensusParams are the genesis consensus params (nil when CometBFT sends none).
	ConsensusParams *cmtproto.ConsensusParams
	// Validators are genesis.json's validators, as CometBFT sent them.
	Validators []abci.ValidatorUpdate
	// MaxValidators is the largest validator set whose commits (and vote
	// extensions) a block carries under ConsensusParams while keeping room for txs.
	MaxValidators uint32
}

// HasInitChain modules act on InitChain beyond their genesis section, after every
// module's InitGenesis. One of them may return the chain's initial validator set,
// which replaces genesis.json's.
type HasInitChain interface {
	InitChain(ctx context.Context, g ChainGenesis) ([]abci.ValidatorUpdate, error)
}

// Registrars receive a module's Msg and Query services.
type Registrars struct {
	Msg   *MsgRouter
	Query *QueryRouter
}

type HasServices interface {
	RegisterServices(Registrars)
}

type HasBeginBlock interface {
	BeginBlock(ctx context.Context) error
}

// HasEndBlock modules run after the block's txs; they may return validator updates.
type HasEndBlock interface {
	EndBlock(ctx context.Context) ([]abci.ValidatorUpdate, error)
}

// HasPreVerify modules check an expensive part of their messages (x/backup's
// storage proofs) ahead of execution: on mempool admission, against the last
// committed state, outside the mempool's locks. PreVerify may only fill
// the module's own cache of checks that passed: execution reads state again and
// reuses a check only when every input is the same, so no outcome depends on the
// pre-pass or on scheduling. Both methods are called concurrently and never
// write state; PreVerifies answers without reading state (a type test, a hint
// that the check is already cached), so callers skip building a state view.
type HasPreVerify interface {
	PreVerifies(msg Msg) bool
	PreVerify(ctx context.Context, msg Msg)
}

// HasWriteKeys modules name, from a message alone and without reading state, keys of
// their own store that executing it will write (x/backup: the challenge a storage
// proof answers), so the store can load those keys' IAVL paths on another core before
// the block writes them (store.MultiStore.Prefetch, started in ProcessProposal). A key
// is only a hint that warms a cache: a wrong or missing one costs time, never changes
// an outcome. Called on the consensus goroutine.
type HasWriteKeys interface {
	WriteKeys(msg Msg, add func(key []byte))
}

// HasTxCommand modules add `selfchaind tx <module>` (the Cosmos SDK's
// AppModuleBasic.GetTxCmd); the command is built anew on each call.
type HasTxCommand interface {
	GetTxCmd() *cobra.Command
}

// HasQueryCommand modules add `selfchaind query <module>`.
type HasQueryCommand interface {
	GetQueryCmd() *cobra.Command
}

// Manager runs modules in one fixed order (the order given to NewManager).
type Manager struct {
	modules     []Module
	byName      map[string]Module
	preVerifier []HasPreVerify
	writeKeys   []HasWriteKeys
	writeStores []string // writeKeys[i]'s store name
}

func NewManager(mods ...Module) *Manager {
	m := &Manager{modules: mods, byName: map[string]Module{}}
	for _, mod := range mods {
		if _, dup := m.byName[mod.Name()]; dup {
			panic("module registered twice: " + mod.Name())
		}
		m.byName[mod.Name()] = mod
		if p, ok := mod.(HasPreVerify); ok {
			m.preVerifier = append(m.preVerifier, p)
		}
		if w, ok := mod.(HasWriteKeys); ok {
			m.writeKeys = append(m.writeKeys, w)
			m.writeStores = append(m.writeStores, mod.Name())
		}
	}
	return m
}

// WriteKeys collects, per store, the keys the modules declare msgs will write
// (HasWriteKeys); nil when none does.
func (m *Manager) WriteKeys(msgs []Msg, keys map[string][][]byte) map[string][][]byte {
	for i, w := range m.writeKeys {
		name := m.writeStores[i]
		add := func(key []byte) {
			if keys == nil {
				keys = map[string][][]byte{}
			}
			keys[name] = append(keys[name], key)
		}
		for _, msg := range msgs {
			w.WriteKeys(msg, add)
		}
	}
	return keys
}

// PreVerifies reports whether some module would pre-verify one of msgs.
func (m *Manager) PreVerifies(msgs []Msg) bool {
	for _, p := range m.preVerifier {
		for _, msg := range msgs {
			if p.PreVerifies(msg) {
				return true
			}
		}
	}
	return false
}

// PreVerify hands each of msgs to the modules that pre-verify it (HasPreVerify);
// ctx reads the last committed state. Safe to call concurrently.
func (m *Manager) PreVerify(ctx context.Context, msgs []Msg) {
	for _, p := range m.preVerifier {
		for _, msg := range msgs {
			if p.PreVerifies(msg) {
				p.PreVerify(ctx, msg)
			}
		}
	}
}

func (m *Manager) Modules() []Module { return m.modules }

// Names lists the modules' names in order: also their stores' names.
func (m *Manager) Names() []string {
	out := make([]string, len(m.modules))
	for i, mod := range m.modules {
		out[i] = mod.Name()
	}
	return out
}
func (m *Manager) Module(name string) Module { return m.byName[name] }

func (m *Manager) RegisterServices(r Registrars) {
	for _, mod := range m.modules {
		if s, ok := mod.(HasServices); ok {
			s.RegisterServices(r)
		}
	}
}

// TxCommands are the modules' tx commands, in module order.
func (m *Manager) TxCommands() []*cobra.Command {
	var out []*cobra.Command
	for _, mod := range m.modules {
		if c, ok := mod.(HasTxCommand); ok {
			out = append(out, c.GetTxCmd())
		}
	}
	return out
}

// QueryCommands are the modules' query commands, in module order.
func (m *Manager) QueryCommands() []*cobra.Command {
	var out []*cobra.Command
	for _, mod := range m.modules {
		if c, ok := mod.(HasQueryCommand); ok {
			out = append(out, c.GetQueryCmd())
		}
	}
	return out
}

// DefaultGenesis returns every module's default genesis keyed by module name.
func (m *Manager) DefaultGenesis() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for _, mod := range m.modules {
		if g, ok := mod.(HasGenesis); ok {
			out[mod.Name()] = g.DefaultGenesis()
		}
	}
	return out
}

// ValidateGenesis checks every module's section; a missing section means the default.
func (m *Manager) ValidateGenesis(state map[string]json.RawMessage) error {
	for name := range state {
		if _, ok := m.byName[name]; !ok {
			return ErrInvalidGenesis.Wrapf("app_state.%s: no such module", name)
		}
	}
	for _, mod := range m.modules {
		g, ok := mod.(HasGenesis)
		if !ok {
			continue
		}
		raw, ok := state[mod.Name()]
		if !ok {
			raw = g.DefaultGenesis()
		}
		if err := g.ValidateGenesis(raw); err != nil {
			return ErrInvalidGenesis.Wrapf("app_state.%s: %v", mod.Name(), err)
		}
	}
	return nil
}

func (m *Manager) InitGenesis(ctx context.Context, state map[string]json.RawMessage) error {
	if err := m.ValidateGenesis(state); err != nil {
		return err
	}
	for _, mod := range m.modules {
		g, ok := mod.(HasGenesis)
		if !ok {
			continue
		}
		raw, ok := state[mod.Name()]
		if !ok {
			raw = g.DefaultGenesis()
		}
		if err := g.InitGenesis(ctx, raw); err != nil {
			return ErrInvalidGenesis.Wrapf("app_state.%s: %v", mod.Name(), err)
		}
	}
	return nil
}

// InitChain runs every HasInitChain module in order (after InitGenesis); at most
// one may return validator updates.
func (m *Manager) InitChain(ctx context.Context, g ChainGenesis) ([]abci.ValidatorUpdate, error) {
	var updates []abci.ValidatorUpdate
	var from string
	for _, mod := range m.modules {
		h, ok := mod.(HasInitChain)
		if !ok {
			continue
		}
		u, err := h.InitChain(ctx, g)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mod.Name(), err)
		}
		if len(u) > 0 {
			if from != "" {
				return nil, fmt.Errorf("initial validators from both %s and %s", from, mod.Name())
			}
			updates, from = u, mod.Name()
		}
	}
	return updates, nil
}

func (m *Manager) ExportGenesis(ctx context.Context) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	for _, mod := range m.modules {
		if g, ok := mod.(HasGenesis); ok {
			raw, err := g.ExportGenesis(ctx)
			if err != nil {
				return nil, fmt.Errorf("export %s: %w", mod.Name(), err)
			}
			out[mod.Name()] = raw
		}
	}
	return out, nil
}

func (m *Manager) BeginBlock(ctx context.Context) error {
	for _, mod := range m.modules {
		if b, ok := mod.(HasBeginBlock); ok {
			if err := b.BeginBlock(ctx); err != nil {
				return fmt.Errorf("%s begin block: %w", mod.Name(), err)
			}
		}
	}
	return nil
}

// EndBlock runs every module's end-block hook; at most one module may return validator updates.
func (m *Manager) EndBlock(ctx context.Context) ([]abci.ValidatorUpdate, error) {
	var updates []abci.ValidatorUpdate
	var from string
	for _, mod := range m.modules {
		e, ok := mod.(HasEndBlock)
		if !ok {
			continue
		}
		u, err := e.EndBlock(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s end block: %w", mod.Name(), err)
		}
		if len(u) > 0 {
			if from != "" {
				return nil, fmt.Errorf("validator updates from both %s and %s", from, mod.Name())
			}
			updates, from = u, mod.Name()
		}
	}
	return updates, nil
}
