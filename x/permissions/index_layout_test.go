package permissions

import (
	"testing"

	"cosmossdk.io/collections"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
)

// oldGrantsLayout is how version 1 declared grants and grants_by_app before the
// app index moved into Grants' IndexedMap: two plain maps kept by hand.
func oldGrantsLayout(t *testing.T) (collections.Map[grantKey, Grant], collections.Map[collections.Pair[string, []byte], bool]) {
	sb := collections.NewSchemaBuilder(runtime.NewKVStoreService(ModuleName))
	grants := collections.NewMap(sb, grantsPrefix, "grants", grantKeyCodec, runtime.ProtoValue[Grant, *Grant]{})
	byApp := collections.NewMap(sb, grantsByAppPrefix, "grants_by_app",
		collections.PairKeyCodec(collections.StringKey, collections.BytesKey), collections.BoolValue)
	_, err := sb.Build()
	require.NoError(t, err)
	return grants, byApp
}

// The IndexedMap's app index keeps grants_by_app's bytes: what the hand-kept
// index wrote is what the IndexedMap reads and writes, so no migration exists
// and the consensus version stays 1.
func TestGrantsByAppKeepsItsLayout(t *testing.T) {
	oldGrants, oldByApp := oldGrantsLayout(t)

	// Written by the keeper (genesis, through the IndexedMap): exactly the old entries.
	k, ctx := newKeeperCtx(1)
	require.NoError(t, k.InitGenesis(ctx, sampleGenesis()))
	var want, got []collections.Pair[string, []byte]
	require.NoError(t, oldGrants.Walk(ctx, nil, func(key grantKey, _ Grant) (bool, error) {
		want = append(want, collections.Join(key.K2(), key.K1()))
		return false, nil
	}))
	require.NoError(t, oldByApp.Walk(ctx, nil, func(key collections.Pair[string, []byte], v bool) (bool, error) {
		require.True(t, v)
		got = append(got, key)
		return false, nil
	}))
	require.Len(t, want, 2)
	require.ElementsMatch(t, want, got)

	// Written the old way (by hand): the keeper answers, and keeps the index.
	k2, ctx2 := newKeeperCtx(1)
	gs := sampleGenesis()
	gs.Grants = nil
	require.NoError(t, k2.InitGenesis(ctx2, gs))
	u := crypto.ModuleAddress("u3")
	g := Grant{User: u.String(), AppId: "notes-app", Scopes: []string{"storage:read"}, ExpiryHeight: 90}
	require.NoError(t, oldGrants.Set(ctx2, collections.Join([]byte(u), g.AppId), g))
	require.NoError(t, oldByApp.Set(ctx2, collections.Join(g.AppId, []byte(u)), true))
	resp, err := NewQueryServer(k2).GrantsByApp(ctx2, &QueryGrantsByAppRequest{AppId: "notes-app"})
	require.NoError(t, err)
	require.Equal(t, []Grant{g}, resp.Grants)
	require.NoError(t, k2.deleteGrant(ctx2, u, g))
	has, err := oldByApp.Has(ctx2, collections.Join(g.AppId, []byte(u)))
	require.NoError(t, err)
	require.False(t, has, "removing the grant removed its old-layout index entry")
}
