package registry_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/x/registry"
)

// Export then import into a fresh store rebuilds identical state, indexes included.
func TestGenesisRoundTrip(t *testing.T) {
	e := populate(t, 60)
	e.at(21)
	id := registry.NodeID(regMsg(alice, 1000+10).SigningKey)
	n := e.node(id)
	require.NoError(t, e.deliver(&registry.MsgRotateKeys{Owner: n.Node.Owner, NodeId: id, EncryptionKey: encKey(5000)}))
	gs, err := e.k.ExportGenesis(e.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	bz, err := runtime.MarshalGenesis(&gs)
	require.NoError(t, err)

	f := setup(t, testParams())
	var gs2 registry.GenesisState
	require.NoError(t, runtime.UnmarshalGenesis(bz, &gs2))
	f2 := &env{t: t, stores: store.MemStores{}}
	f2.ctx = f.ctx.WithStores(f2.stores)
	f2.k, f2.bk = registry.NewKeeper(runtime.NewKVStoreService(registry.ModuleName), nil, nil), e.bk
	require.NoError(t, f2.k.InitGenesis(f2.ctx, gs2))
	require.Equal(t, e.copyStores()["registry"], f2.copyStores()["registry"])
}

func TestGenesisValidateNamesTheBadField(t *testing.T) {
	e := setup(t, testParams())
	e.register(alice, 1)
	gs, err := e.k.ExportGenesis(e.ctx)
	require.NoError(t, err)
	for name, c := range map[string]struct {
		mut  func(gs *registry.GenesisState)
		want string
	}{
		"dup node":      {func(gs *registry.GenesisState) { gs.Nodes = append(gs.Nodes, gs.Nodes[0]) }, "nodes[1]"},
		"bad endpoint":  {func(gs *registry.GenesisState) { gs.Nodes[0].Node.Endpoints = []string{"x"} }, "invalid endpoint"},
		"bad key id":    {func(gs *registry.GenesisState) { gs.Nodes[0].Node.SigningKeyId = "00" }, "signing_key_id"},
		"owner differs": {func(gs *registry.GenesisState) { gs.Nodes[0].Liveness.Owner = bob.String() }, "liveness.owner"},
		"bad status":    {func(gs *registry.GenesisState) { gs.Nodes[0].Liveness.Status = 0 }, "liveness.status"},
		"bad params":    {func(gs *registry.GenesisState) { gs.Params.ExpireAfterBlocks = 1 }, "params.expire_after_blocks"},
	} {
		var cp registry.GenesisState
		bz, _ := json.Marshal(gs)
		require.NoError(t, json.Unmarshal(bz, &cp))
		c.mut(&cp)
		err := cp.Validate()
		require.Error(t, err, name)
		require.Contains(t, err.Error(), c.want, name)
	}
	require.NoError(t, registry.DefaultGenesis().Validate())
}
