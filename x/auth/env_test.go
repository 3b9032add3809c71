package auth_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/auth"
)

func newCtx() *runtime.Context {
	return runtime.NewContext(context.Background(), store.MemStores{},
		runtime.Header{ChainID: "test-1", Height: 1}, runtime.ModeFinalize, nil)
}

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

// testAddr is a fixed, distinct address per n.
func testAddr(n byte) crypto.Address {
	return crypto.Address(bytes.Repeat([]byte{n}, crypto.AddressLen))
}

func storeService() runtime.KVStoreService { return runtime.NewKVStoreService(auth.ModuleName) }
