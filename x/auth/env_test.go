package auth_test

import (
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/auth"
)

func newCtx() *runtime.Context { return testutil.KeeperContext(nil, "test-1", 1) }

// setup returns a context and a keeper initialised with the default genesis.
func setup(t testing.TB) (*runtime.Context, auth.Keeper) {
	t.Helper()
	ctx := newCtx()
	k := auth.NewKeeper(runtime.NewKVStoreService(auth.ModuleName))
	if err := k.InitGenesis(ctx, auth.DefaultGenesis()); err != nil {
		t.Fatal(err)
	}
	return ctx, k
}

func storeService() runtime.KVStoreService { return runtime.NewKVStoreService(auth.ModuleName) }
