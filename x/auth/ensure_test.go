package auth_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
)

// EnsureAccountExists charges the same gas and leaves the same state as
// EnsureAccount, for an account that exists (with a hybrid key, the case it
// saves a decode for) and for one it creates.
func TestEnsureAccountExistsMatchesEnsureAccount(t *testing.T) {
	key, err := crypto.GenerateKey(crypto.KeyTypeHybrid)
	require.NoError(t, err)
	pub := key.PubKey()
	run := func(ensure func(*runtime.Context, auth.Keeper, crypto.Address) error) (gas []uint64, accs []auth.Account) {
		ctx, k := setup(t)
		acc, err := k.EnsureAccount(ctx, pub.Address())
		require.NoError(t, err)
		acc.PublicKey = &types.PubKey{Type: pub.Type(), Key: pub.Bytes()}
		require.NoError(t, k.SetAccount(ctx, acc))
		for _, addr := range []crypto.Address{pub.Address(), testutil.Addr(5), testutil.Addr(5)} {
			mctx := ctx.WithGasMeter(runtime.NewGasMeter(1_000_000))
			require.NoError(t, ensure(mctx, k, addr))
			gas = append(gas, mctx.GasMeter().Consumed())
			a, found, err := k.GetAccount(ctx, addr)
			require.NoError(t, err)
			require.True(t, found)
			accs = append(accs, a)
		}
		return gas, accs
	}
	gasOld, accsOld := run(func(ctx *runtime.Context, k auth.Keeper, a crypto.Address) error {
		_, err := k.EnsureAccount(ctx, a)
		return err
	})
	gasNew, accsNew := run(func(ctx *runtime.Context, k auth.Keeper, a crypto.Address) error {
		return k.EnsureAccountExists(ctx, a)
	})
	require.Equal(t, gasOld, gasNew)
	require.Equal(t, accsOld, accsNew)
	require.NotZero(t, gasNew[0])
}
