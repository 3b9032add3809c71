package testutil

import (
	"bytes"
	"context"
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Helpers for keeper tests, which drive one module on in-memory stores without an app.

// Addr is a fixed address, distinct per n: n repeated over the address length.
func Addr(n byte) crypto.Address {
	return crypto.Address(bytes.Repeat([]byte{n}, crypto.AddressLen))
}

// KeeperContext is a finalize-mode context of chainID at height over stores
// (fresh empty in-memory stores when nil).
func KeeperContext(stores store.MemStores, chainID string, height int64) *runtime.Context {
	if stores == nil {
		stores = store.MemStores{}
	}
	return runtime.NewContext(context.Background(), stores, runtime.Header{ChainID: chainID, Height: height}, runtime.ModeFinalize, nil)
}

// Coins is n of denom.
func Coins(denom string, n uint64) types.Coins { return types.Coins{types.NewCoin(denom, n)} }

// ParseCoins parses the CLI form ("50uatom,1000uself") or fails tb.
func ParseCoins(tb testing.TB, s string) types.Coins {
	tb.Helper()
	cs, err := types.ParseCoins(s)
	if err != nil {
		tb.Fatalf("coins %q: %v", s, err)
	}
	return cs
}
