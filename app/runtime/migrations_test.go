package runtime_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
)

type migMod struct {
	name    string
	version uint64
	steps   map[uint64]runtime.MigrationFunc
	inits   *int
}

func (m migMod) Name() string             { return m.name }
func (m migMod) ConsensusVersion() uint64 { return m.version }
func (m migMod) RegisterMigrations(r *runtime.Migrations) error {
	for from := uint64(0); from < 10; from++ {
		if fn, ok := m.steps[from]; ok {
			if err := r.Register(from, fn); err != nil {
				return err
			}
		}
	}
	return nil
}
func (m migMod) DefaultGenesis() json.RawMessage       { return json.RawMessage(`{}`) }
func (m migMod) ValidateGenesis(json.RawMessage) error { return nil }
func (m migMod) InitGenesis(context.Context, json.RawMessage) error {
	*m.inits++
	return nil
}
func (m migMod) ExportGenesis(context.Context) (json.RawMessage, error) { return nil, nil }

// RunMigrations walks each module one step at a time from the recorded version,
// inits new modules, and refuses gaps and downgrades.
func TestRunMigrations(t *testing.T) {
	var ran []string
	step := func(s string) runtime.MigrationFunc {
		return func(context.Context) error { ran = append(ran, s); return nil }
	}
	inits := 0
	a := migMod{name: "a", version: 3, steps: map[uint64]runtime.MigrationFunc{1: step("a1"), 2: step("a2")}, inits: &inits}
	b := migMod{name: "b", version: 1, inits: &inits}
	c := migMod{name: "c", version: 1, inits: &inits}
	m := runtime.NewManager(a, b, c)
	out, err := m.RunMigrations(context.Background(), runtime.VersionMap{"a": 1, "b": 1})
	require.NoError(t, err)
	require.Equal(t, []string{"a1", "a2"}, ran)
	require.Equal(t, 1, inits) // c is new
	require.Equal(t, runtime.VersionMap{"a": 3, "b": 1, "c": 1}, out)

	_, err = m.RunMigrations(context.Background(), runtime.VersionMap{"a": 0, "b": 1, "c": 1})
	require.ErrorContains(t, err, "no migration from consensus version 0 to 1")
	_, err = m.RunMigrations(context.Background(), runtime.VersionMap{"a": 4, "b": 1, "c": 1})
	require.ErrorContains(t, err, "downgrade")

	var r runtime.Migrations
	require.NoError(t, r.Register(1, step("x")))
	require.Error(t, r.Register(1, step("y")))
}
