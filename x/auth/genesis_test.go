package auth_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
)

func TestGenesisValidateNamesField(t *testing.T) {
	priv, err := crypto.GenerateKey("ed25519")
	require.NoError(t, err)
	pub := priv.PubKey()
	pk := &types.PubKey{Type: pub.Type(), Key: pub.Bytes()}
	a1, a2 := testutil.Addr(1).String(), testutil.Addr(2).String()

	cases := []struct {
		name string
		mut  func(*auth.GenesisState)
		want string
	}{
		{"zero param", func(g *auth.GenesisState) { g.Params.SigVerifyCost = 0 }, "params.sig_verify_cost"},
		{"no max tx gas", func(g *auth.GenesisState) { g.Params.MaxTxGas = 0 }, "params.max_tx_gas: 0 is not in 1.."},
		{"max tx gas past int64", func(g *auth.GenesisState) { g.Params.MaxTxGas = 1 << 63 }, "params.max_tx_gas: 9223372036854775808 is not in 1.."},
		{"bad address", func(g *auth.GenesisState) { g.Accounts[1].Address = "self1xyz" }, "accounts[1].address"},
		{"duplicate address", func(g *auth.GenesisState) { g.Accounts[1].Address = a1 }, "accounts[1].address: " + a1 + " is already accounts[0]"},
		{"duplicate number", func(g *auth.GenesisState) { g.Accounts[1].AccountNumber = 0 }, "accounts[1].account_number: 0 is already used by accounts[0]"},
		{"max number", func(g *auth.GenesisState) { g.Accounts[1].AccountNumber = ^uint64(0) }, "accounts[1].account_number"},
		{"unknown key type", func(g *auth.GenesisState) { g.Accounts[0].PublicKey = &types.PubKey{Type: "rsa", Key: []byte{1}} }, "accounts[0].public_key"},
		{"key of another address", func(g *auth.GenesisState) { g.Accounts[0].PublicKey = pk }, "accounts[0].public_key: key belongs to"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gs := auth.GenesisState{Params: auth.DefaultParams(), Accounts: []auth.GenesisAccount{
				{Address: a1, AccountNumber: 0},
				{Address: a2, AccountNumber: 1},
			}}
			require.NoError(t, gs.Validate())
			tc.mut(&gs)
			err := gs.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	ok := auth.GenesisState{Params: auth.DefaultParams(), Accounts: []auth.GenesisAccount{
		{Address: pub.Address().String(), AccountNumber: 3, PublicKey: pk},
	}}
	require.NoError(t, ok.Validate())
}

func TestInitGenesisSetsNextNumberPastHighest(t *testing.T) {
	ctx := newCtx()
	k := auth.NewKeeper(storeService())
	gs := auth.GenesisState{Params: auth.DefaultParams(), Accounts: []auth.GenesisAccount{
		{Address: testutil.Addr(1).String(), AccountNumber: 5, Sequence: 2},
		{Address: testutil.Addr(2).String(), AccountNumber: 2},
	}}
	require.NoError(t, k.InitGenesis(ctx, gs))
	acc, err := k.EnsureAccount(ctx, testutil.Addr(3))
	require.NoError(t, err)
	require.Equal(t, uint64(6), acc.AccountNumber)
	got, found, err := k.GetAccount(ctx, testutil.Addr(1))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint64(2), got.Sequence)

	// A second genesis over existing accounts could collide numbers: refused.
	require.ErrorContains(t, k.InitGenesis(ctx, gs), "accounts exist before auth genesis")
}

func TestGenesisExportInitRoundTrip(t *testing.T) {
	ctx, k := setup(t)
	priv, err := crypto.GenerateKey("ed25519")
	require.NoError(t, err)
	pub := priv.PubKey()
	for i := byte(1); i <= 3; i++ {
		_, err := k.EnsureAccount(ctx, testutil.Addr(i))
		require.NoError(t, err)
	}
	acc, err := k.EnsureAccount(ctx, pub.Address())
	require.NoError(t, err)
	acc.Sequence = 7
	acc.PublicKey = &types.PubKey{Type: pub.Type(), Key: pub.Bytes()}
	require.NoError(t, k.SetAccount(ctx, acc))

	m := auth.NewModule(k)
	exported, err := m.ExportGenesis(ctx)
	require.NoError(t, err)
	require.NoError(t, m.ValidateGenesis(exported))

	ctx2 := newCtx()
	k2 := auth.NewKeeper(storeService())
	m2 := auth.NewModule(k2)
	require.NoError(t, m2.InitGenesis(ctx2, exported))
	again, err := m2.ExportGenesis(ctx2)
	require.NoError(t, err)
	require.JSONEq(t, string(exported), string(again))

	got, found, err := k2.GetAccount(ctx2, pub.Address())
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, acc, got)
	next, err := k2.EnsureAccount(ctx2, testutil.Addr(9))
	require.NoError(t, err)
	require.Equal(t, uint64(4), next.AccountNumber)
}

func TestModuleGenesisJSON(t *testing.T) {
	m := auth.NewModule(auth.NewKeeper(storeService()))
	require.Equal(t, "auth", m.Name())
	require.Equal(t, uint64(2), m.ConsensusVersion())
	def := m.DefaultGenesis()
	require.NoError(t, m.ValidateGenesis(def))
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(def, &fields))
	require.Contains(t, string(fields["params"]), `"max_memo_characters":"256"`)
	// Unknown fields are typos, not defaults.
	require.Error(t, m.ValidateGenesis(json.RawMessage(`{"params":{"max_memo_charactrs":"1"}}`)))
}
