package runtime

import (
	"context"
	"fmt"
)

// MigrationFunc moves a module's store from one consensus version to the next.
type MigrationFunc func(ctx context.Context) error

// Migrations collects a module's migrations, keyed by the version they start from.
type Migrations struct{ from map[uint64]MigrationFunc }

// Register adds the migration from version `from` to `from+1`; a second one for
// the same version is a bug in the module.
func (m *Migrations) Register(from uint64, fn MigrationFunc) error {
	if m.from == nil {
		m.from = map[uint64]MigrationFunc{}
	}
	if _, dup := m.from[from]; dup {
		return fmt.Errorf("migration from version %d registered twice", from)
	}
	m.from[from] = fn
	return nil
}

// HasMigrations modules declare how their stored bytes move from each older
// consensus version to the next (one function per step, as the Cosmos SDK's
// RegisterMigration).
type HasMigrations interface {
	RegisterMigrations(m *Migrations) error
}

// VersionMap is each module's consensus version, by module name. Read it through
// Manager.Modules' order, never by ranging over the map (determinism).
type VersionMap map[string]uint64

// Versions is every module's current consensus version.
func (m *Manager) Versions() VersionMap {
	out := VersionMap{}
	for _, mod := range m.modules {
		out[mod.Name()] = mod.ConsensusVersion()
	}
	return out
}

// RunMigrations brings every module from its version in from (what state records)
// to its ConsensusVersion, one registered step at a time, in module order. A
// module missing from `from` is new: it gets its default genesis (InitGenesis)
// and no migrations. It returns the versions now in state.
func (m *Manager) RunMigrations(ctx context.Context, from VersionMap) (VersionMap, error) {
	out := VersionMap{}
	for _, mod := range m.modules {
		name, to := mod.Name(), mod.ConsensusVersion()
		have, known := from[name]
		switch {
		case !known:
			if g, ok := mod.(HasGenesis); ok {
				if err := g.InitGenesis(ctx, g.DefaultGenesis()); err != nil {
					return nil, fmt.Errorf("%s: init genesis of a module added by the upgrade: %w", name, err)
				}
			}
		case have > to:
			return nil, fmt.Errorf("%s: state is at consensus version %d, this binary's module is at %d (a downgrade)", name, have, to)
		case have < to:
			var steps Migrations
			if hm, ok := mod.(HasMigrations); ok {
				if err := hm.RegisterMigrations(&steps); err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
			}
			for v := have; v < to; v++ {
				fn := steps.from[v]
				if fn == nil {
					return nil, fmt.Errorf("%s: no migration from consensus version %d to %d", name, v, v+1)
				}
				if err := fn(ctx); err != nil {
					return nil, fmt.Errorf("%s: migrate %d to %d: %w", name, v, v+1, err)
				}
			}
		}
		out[name] = to
	}
	return out, nil
}
