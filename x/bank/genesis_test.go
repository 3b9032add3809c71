package bank_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
)

func TestDefaultGenesis(t *testing.T) {
	gs := bank.DefaultGenesis()
	require.NoError(t, gs.Validate())
	require.Equal(t, []bank.Metadata{{Base: "uself", Display: "SELF", Exponent: 6, Description: "The native token of SELF Chain."}}, gs.DenomMetadata)
	require.Empty(t, gs.Balances)
	require.True(t, gs.Params.SendEnabled)
	require.Equal(t, uint32(100), gs.Params.MaxMultiSendOutputs)

	m := bank.NewModule(bank.NewKeeper(storeService(), nil))
	require.Equal(t, "bank", m.Name())
	require.Equal(t, uint64(1), m.ConsensusVersion())
	require.NoError(t, m.ValidateGenesis(m.DefaultGenesis()))
}

func TestGenesisValidateNamesField(t *testing.T) {
	a1, a2 := alice.String(), bob.String()
	cases := []struct {
		name string
		mut  func(*bank.GenesisState)
		want string
	}{
		{"params", func(g *bank.GenesisState) { g.Params.MaxMultiSendOutputs = 0 }, "params.max_multi_send_outputs: 0 is not in 1..256"},
		{"metadata base", func(g *bank.GenesisState) { g.DenomMetadata[1].Base = "a" }, "denom_metadata[1].base: invalid denom"},
		{"metadata display", func(g *bank.GenesisState) { g.DenomMetadata[1].Display = "" }, "denom_metadata[1].display: must not be empty"},
		{"metadata exponent", func(g *bank.GenesisState) { g.DenomMetadata[0].Exponent = 78 }, "denom_metadata[0].exponent"},
		{"metadata duplicate", func(g *bank.GenesisState) { g.DenomMetadata[1].Base = "uself" }, "denom_metadata[1].base: uself is already denom_metadata[0]"},
		{"balance address", func(g *bank.GenesisState) { g.Balances[1].Address = "self1abc" }, "balances[1].address"},
		{"balance duplicate", func(g *bank.GenesisState) { g.Balances[1].Address = a1 }, "balances[1].address: " + a1 + " is already balances[0]"},
		{"balance empty", func(g *bank.GenesisState) { g.Balances[1].Coins = nil }, "balances[1].coins: empty"},
		{"balance zero", func(g *bank.GenesisState) { g.Balances[1].Coins = types.Coins{types.NewCoin("uself", 0)} }, "balances[1].coins: amount of uself must be positive"},
		{"balance unsorted", func(g *bank.GenesisState) {
			g.Balances[0].Coins = types.Coins{types.NewCoin("uself", 1), types.NewCoin("uatom", 1)}
		}, "balances[0].coins: coins not sorted"},
		{"balance unknown denom", func(g *bank.GenesisState) { g.Balances[1].Coins = testutil.ParseCoins(t, "5ufoo") }, "balances[1].coins: denomination ufoo has no denom_metadata entry"},
		{"supply overflow", func(g *bank.GenesisState) {
			g.Balances[0].Coins = types.Coins{{Denom: "uself", Amount: maxInt()}}
			g.Supply = nil
		}, "balances[1].coins: the total supply of uself overflows 256 bits"},
		{"supply mismatch", func(g *bank.GenesisState) { g.Supply = testutil.ParseCoins(t, "5uatom,31uself") }, "supply: states 5uatom,31uself but the balances sum to 5uatom,30uself"},
		{"supply missing denom", func(g *bank.GenesisState) { g.Supply = testutil.ParseCoins(t, "30uself") }, "supply: states 30uself"},
		{"supply invalid", func(g *bank.GenesisState) { g.Supply = types.Coins{types.NewCoin("uself", 0)} }, "supply: amount of uself must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gs := bank.GenesisState{
				Params:        bank.DefaultParams(),
				DenomMetadata: []bank.Metadata{bank.DefaultMetadata(), {Base: atom, Display: "ATOM"}},
				Balances: []bank.Balance{
					{Address: a1, Coins: testutil.ParseCoins(t, "5uatom,10uself")},
					{Address: a2, Coins: testutil.ParseCoins(t, "20uself")},
				},
				Supply: testutil.ParseCoins(t, "5uatom,30uself"),
			}
			require.NoError(t, gs.Validate())
			tc.mut(&gs)
			err := gs.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestInitGenesisComputesSupplyAndAccounts(t *testing.T) {
	gs := bank.DefaultGenesis()
	gs.Balances = []bank.Balance{
		{Address: bob.String(), Coins: testutil.ParseCoins(t, "7uself")},
		{Address: alice.String(), Coins: testutil.ParseCoins(t, "5uself")},
	}
	e := setup(t, gs) // supply left empty: computed
	require.Equal(t, "12", e.supply(t, "uself"))
	acc, found, err := e.ak.GetAccount(e.ctx, bob)
	require.NoError(t, err)
	require.True(t, found, "genesis holders get accounts so they can sign")
	require.Equal(t, uint64(0), acc.AccountNumber)
}

func TestGenesisHoldingsBeyondMessageCap(t *testing.T) {
	// An account may hold more denoms than one message may carry; export must re-import.
	e := funded(t)
	for i := range types.MaxDenomsPerCoins + 1 {
		d := "coin" + string(rune('a'+i))
		require.NoError(t, e.k.SetDenomMetadata(e.ctx, bank.Metadata{Base: d, Display: d}))
		require.NoError(t, e.k.MintCoins(e.ctx, bob, types.Coins{types.NewCoin(d, 1)}))
	}
	gs := e.snapshot(t)
	require.NoError(t, gs.Validate())
}

func TestGenesisExportInitRoundTrip(t *testing.T) {
	e := funded(t)
	require.NoError(t, e.k.SendCoins(e.ctx, alice, bob, testutil.ParseCoins(t, "1uatom,100uself")))
	require.NoError(t, e.k.DeductFee(e.ctx, alice, testutil.ParseCoins(t, "3uself")))
	require.NoError(t, e.k.MintCoins(e.ctx, carol, testutil.ParseCoins(t, "9uatom")))
	require.NoError(t, e.k.BurnCoins(e.ctx, alice, testutil.ParseCoins(t, "1uself")))
	require.NoError(t, e.k.SendCoins(e.ctx, carol, bob, testutil.ParseCoins(t, "10uself"))) // carol's uself goes to zero

	am, bm := auth.NewModule(e.ak), bank.NewModule(e.k)
	authJSON, err := am.ExportGenesis(e.ctx)
	require.NoError(t, err)
	bankJSON, err := bm.ExportGenesis(e.ctx)
	require.NoError(t, err)
	require.NoError(t, bm.ValidateGenesis(bankJSON))

	require.True(t, json.Valid(bankJSON))
	require.Contains(t, string(bankJSON), `"supply":[{"denom":"uatom","amount":"59"},{"denom":"uself","amount":"1009"}]`)

	ctx2 := newCtx()
	ak2, k2 := newKeepers()
	require.NoError(t, auth.NewModule(ak2).InitGenesis(ctx2, authJSON))
	bm2 := bank.NewModule(k2)
	require.NoError(t, bm2.InitGenesis(ctx2, bankJSON))
	again, err := bm2.ExportGenesis(ctx2)
	require.NoError(t, err)
	require.JSONEq(t, string(bankJSON), string(again))
	authAgain, err := auth.NewModule(ak2).ExportGenesis(ctx2)
	require.NoError(t, err)
	require.JSONEq(t, string(authJSON), string(authAgain), "bank genesis must not renumber or add accounts")
}
