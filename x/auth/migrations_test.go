package auth_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/auth"
)

// A version-1 store (params without max_tx_gas) gets the default, once; a value
// already set is kept.
func TestMigrate1to2(t *testing.T) {
	ctx, k := setup(t)
	v1 := auth.DefaultParams()
	v1.MaxTxGas = 0
	require.NoError(t, k.Params.Set(ctx, v1)) // as version 1 stored it (bypasses Validate)
	require.NoError(t, k.Migrate1to2(ctx))
	p, err := k.GetParams(ctx)
	require.NoError(t, err)
	require.Equal(t, auth.DefaultMaxTxGas, p.MaxTxGas)

	p.MaxTxGas = 42
	require.NoError(t, k.SetParams(ctx, p))
	require.NoError(t, k.Migrate1to2(ctx))
	p, err = k.GetParams(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(42), p.MaxTxGas)
}

// The module declares the step, so an upgrade's RunMigrations from version 1 runs it.
func TestMigrationRegistered(t *testing.T) {
	ctx, k := setup(t)
	v1 := auth.DefaultParams()
	v1.MaxTxGas = 0
	require.NoError(t, k.Params.Set(ctx, v1))
	out, err := runtime.NewManager(auth.NewModule(k)).RunMigrations(ctx, runtime.VersionMap{auth.ModuleName: 1})
	require.NoError(t, err)
	require.Equal(t, runtime.VersionMap{auth.ModuleName: auth.ConsensusVersion}, out)
	p, err := k.GetParams(ctx)
	require.NoError(t, err)
	require.Equal(t, auth.DefaultMaxTxGas, p.MaxTxGas)
}
