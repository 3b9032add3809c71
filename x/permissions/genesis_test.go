package permissions

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

func newKeeperCtx(height int64) (Keeper, *runtime.Context) {
	ctx := runtime.NewContext(context.Background(), store.MemStores{}, runtime.Header{ChainID: "t-1", Height: height}, runtime.ModeFinalize, nil)
	return NewKeeper(runtime.NewKVStoreService(ModuleName), nil, nil, nil), ctx
}

// sampleAppKey is a real Ed25519 public key (the all-zero one is refused: a
// small-order point).
var sampleAppKey = []byte(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey))

func sampleGenesis() GenesisState {
	owner, u1, u2 := crypto.ModuleAddress("o"), crypto.ModuleAddress("u1"), crypto.ModuleAddress("u2")
	gs := DefaultGenesis()
	gs.Apps = []App{{Id: "notes-app", Owner: owner.String(), Name: "Notes", Scopes: []string{"storage:read", "bank:send"},
		PubKeys: []types.PubKey{{Type: "ed25519", Key: sampleAppKey}}, KeyVersion: 1}}
	gs.Grants = []Grant{
		{User: u1.String(), AppId: "notes-app", Scopes: []string{"storage:read:notes/"}, ExpiryHeight: 50},
		{User: u2.String(), AppId: "notes-app", Scopes: []string{"bank:send"}, ExpiryTime: 1_900_000_000,
			SpendLimit: types.Coins{types.NewCoin("uself", 10)}, Spent: types.Coins{types.NewCoin("uself", 3)}, Uses: 2},
	}
	gs.KillSwitches = []KillSwitch{{User: u2.String(), Height: 7}}
	return gs
}

func TestGenesisRoundTrip(t *testing.T) {
	gs := sampleGenesis()
	require.NoError(t, gs.Validate())
	k, ctx := newKeeperCtx(1)
	require.NoError(t, k.InitGenesis(ctx, gs))
	out, err := k.ExportGenesis(ctx)
	require.NoError(t, err)
	require.NoError(t, out.Validate())
	require.ElementsMatch(t, gs.Grants, out.Grants)
	require.Equal(t, gs.Apps, out.Apps)
	// Every granting user has a kill-switch record (0 = off) after import.
	require.ElementsMatch(t, append(gs.KillSwitches, KillSwitch{User: crypto.ModuleAddress("u1").String()}), out.KillSwitches)
	k2, ctx2 := newKeeperCtx(1)
	require.NoError(t, k2.InitGenesis(ctx2, out))
	out2, err := k2.ExportGenesis(ctx2)
	require.NoError(t, err)
	require.Equal(t, out, out2, "export → import → export is stable")

	// Indexes were rebuilt: grants by app and by expiry.
	var n int
	require.NoError(t, k.GrantsByApp.Walk(ctx, nil, func(_ collectionsPairAppUser, _ bool) (bool, error) { n++; return false, nil }))
	require.Equal(t, 2, n)
	has, err := k.ExpiryByHeight.Has(ctx, join3(50, crypto.ModuleAddress("u1"), "notes-app"))
	require.NoError(t, err)
	require.True(t, has)

	m := NewModule(k)
	require.NoError(t, m.ValidateGenesis(m.DefaultGenesis()))
}

func TestGenesisValidateNamesField(t *testing.T) {
	cases := []struct {
		name string
		mut  func(*GenesisState)
		want string
	}{
		{"params", func(g *GenesisState) { g.Params.MaxExecMsgs = 99 }, "params.max_exec_msgs"},
		{"app id", func(g *GenesisState) { g.Apps[0].Id = "Bad" }, "apps[0]"},
		{"duplicate app", func(g *GenesisState) { g.Apps = append(g.Apps, g.Apps[0]) }, "apps[1].id"},
		{"grant to unknown app", func(g *GenesisState) { g.Grants[0].AppId = "other-app" }, "grants[0].app_id"},
		{"undeclared scope", func(g *GenesisState) { g.Grants[0].Scopes = []string{"ai:chat"} }, "grants[0].scopes"},
		{"duplicate grant", func(g *GenesisState) { g.Grants[1].User = g.Grants[0].User }, "grants[1]: same user and app"},
		{"no expiry", func(g *GenesisState) { g.Grants[0].ExpiryHeight = 0 }, "grants[0]"},
		{"kill switch user", func(g *GenesisState) { g.KillSwitches[0].User = "x" }, "kill_switches[0].user"},
	}
	for _, c := range cases {
		gs := sampleGenesis()
		c.mut(&gs)
		err := gs.Validate()
		require.ErrorContains(t, err, c.want, c.name)
	}
}

// Pruning reads and writes nothing when nothing expired, deletes what expired with
// its indexes, and respects the budget.
func TestPruneExpired(t *testing.T) {
	gs := sampleGenesis()
	gs.Params.MaxPrunePerBlock = 1
	k, ctx := newKeeperCtx(1)
	require.NoError(t, k.InitGenesis(ctx, gs))
	n, err := k.PruneExpired(ctx.WithHeader(runtime.Header{Height: 50}))
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = k.PruneExpired(ctx.WithHeader(runtime.Header{Height: 51}))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, found, err := k.GetGrant(ctx, crypto.ModuleAddress("u1"), "notes-app")
	require.NoError(t, err)
	require.False(t, found)
	has, err := k.GrantsByApp.Has(ctx, joinAppUser("notes-app", crypto.ModuleAddress("u1")))
	require.NoError(t, err)
	require.False(t, has)
	// The time-expiring grant goes once the block time reaches its expiry.
	n, err = k.PruneExpired(ctx.WithHeader(runtime.Header{Height: 52, Time: unix(1_899_999_999)}))
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = k.PruneExpired(ctx.WithHeader(runtime.Header{Height: 53, Time: unix(1_900_000_000)}))
	require.NoError(t, err)
	require.Equal(t, 1, n)
}
