package store

import "fmt"

// Pruning strategy names, as used in the node configuration.
const (
	PruningNothing    = "nothing"
	PruningDefault    = "default"
	PruningEverything = "everything"
	PruningCustom     = "custom"
)

// PruningOptions says which old versions to delete. KeepRecent==0 && Interval==0 keeps everything.
// Otherwise, after committing a version v with v%Interval==0 and v>KeepRecent, every version up to
// v-KeepRecent is deleted, so the last KeepRecent versions stay queryable.
type PruningOptions struct {
	KeepRecent uint64
	Interval   uint64
}

// NewPruningOptions builds the options of a named strategy; keepRecent and interval are only
// used by "custom".
func NewPruningOptions(strategy string, keepRecent, interval uint64) (PruningOptions, error) {
	switch strategy {
	case PruningNothing:
		return PruningOptions{}, nil
	case PruningDefault:
		return PruningOptions{KeepRecent: 362880, Interval: 10}, nil
	case PruningEverything:
		return PruningOptions{KeepRecent: 2, Interval: 10}, nil
	case PruningCustom:
		p := PruningOptions{KeepRecent: keepRecent, Interval: interval}
		if err := p.Validate(); err != nil {
			return PruningOptions{}, err
		}
		return p, nil
	default:
		return PruningOptions{}, fmt.Errorf("store: unknown pruning strategy %q (want %s, %s, %s or %s)",
			strategy, PruningNothing, PruningDefault, PruningEverything, PruningCustom)
	}
}

// Enabled reports whether any version is ever deleted.
func (p PruningOptions) Enabled() bool { return p.KeepRecent != 0 || p.Interval != 0 }

// Validate rejects half-set options: keeping fewer than 2 versions would leave no committed
// state for CheckTx while the next block commits.
func (p PruningOptions) Validate() error {
	if !p.Enabled() {
		return nil
	}
	if p.Interval == 0 {
		return fmt.Errorf("store: pruning interval must be > 0 (keep-recent %d)", p.KeepRecent)
	}
	if p.KeepRecent < 2 {
		return fmt.Errorf("store: pruning keep-recent must be >= 2, got %d", p.KeepRecent)
	}
	return nil
}

// pruneTarget returns the highest version to delete after committing version, if any.
func (p PruningOptions) pruneTarget(version int64) (int64, bool) {
	if !p.Enabled() || version <= 0 || uint64(version)%p.Interval != 0 || uint64(version) <= p.KeepRecent {
		return 0, false
	}
	return version - int64(p.KeepRecent), true
}

// DefaultIAVLCacheSize is the node cache size used when Options.IAVLCacheSize is 0
// (and what init writes). It was 100,000: IAVL keeps nodes after they are replaced
// until they age out, so at saturation the bank and auth trees filled it with dead
// nodes, ~90-120 MB of a node's heap; 20,000 held the same throughput at half the
// RSS (docs/PERFORMANCE.md, "Memory at saturation").
const DefaultIAVLCacheSize = 20_000

// Options configures Open.
type Options struct {
	Pruning       PruningOptions
	IAVLCacheSize int // nodes per tree; DefaultIAVLCacheSize when 0
	// IAVLCacheCaps caps IAVLCacheSize for the named stores. IAVL's node cache is
	// bounded by node count, not bytes, and keeps nodes after they are deleted
	// until they age out: a store that writes a few large values per block needs
	// a small count, or it holds thousands of dead values.
	IAVLCacheCaps  map[string]int
	InitialVersion int64 // first version when the store is empty (genesis initial_height); 0 or 1 = 1
	// NoPrefetch makes Prefetch do nothing (tests compare against the plain path).
	NoPrefetch bool
}

// cacheSize is the node cache size of store name.
func (o Options) cacheSize(name string) int {
	if c, ok := o.IAVLCacheCaps[name]; ok && c < o.IAVLCacheSize {
		return c
	}
	return o.IAVLCacheSize
}

func (o Options) withDefaults() (Options, error) {
	if err := o.Pruning.Validate(); err != nil {
		return o, err
	}
	if o.IAVLCacheSize < 0 {
		return o, fmt.Errorf("store: negative IAVL cache size %d", o.IAVLCacheSize)
	}
	if o.IAVLCacheSize == 0 {
		o.IAVLCacheSize = DefaultIAVLCacheSize
	}
	for name, c := range o.IAVLCacheCaps {
		if c <= 0 {
			return o, fmt.Errorf("store: IAVL cache cap %d of store %q is not positive", c, name)
		}
	}
	if o.InitialVersion < 0 {
		return o, fmt.Errorf("store: negative initial version %d", o.InitialVersion)
	}
	return o, nil
}
