package poai_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

// App-level scenario of permissioned admission, through real txs in
// FinalizeBlock on two apps (pebbledb and memdb, same app hash every block):
// the listed operator joins the set; a funded stranger is refused with poai/22
// and its records and balance do not change beyond the fee and sequence; the
// authority admits it with MsgUpdateParams; then it joins too.
func TestAllowedOperatorsScenario(t *testing.T) {
	strangerKey := cmted25519.GenPrivKeyFromSecret([]byte("allowlist-stranger"))
	c := newChain(t, func(gs *poai.GenesisState, accs []*testutil.Account) {
		// accs[0] is the authority, accs[1] the genesis operator, accs[2] admitted, accs[3] a stranger.
		gs.Params.AllowedOperators = []string{accs[1].Addr.String(), accs[2].Addr.String()}
	})
	votes := []abci.VoteInfo{vote(genKey, 10, true)}
	admitted, outsider, authority := c.accs[2], c.accs[3], c.accs[0]

	res := c.block(votes, nil, c.tx(admitted, createMsg(admitted, newKey, newStake)))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)

	bal := c.apps[0].Balance(outsider.Addr, "uself")
	pool := c.apps[0].Balance(poai.BondedPool, "uself")
	operators := func() (out []string) {
		var vals poai.QueryValidatorsResponse
		c.apps[0].MustQuery("/selfchain.poai.v1.Query/Validators", &poai.QueryValidatorsRequest{}, &vals)
		for _, v := range vals.Validators {
			out = append(out, v.OperatorAddress+"/"+strconv.FormatUint(v.SelfStake, 10))
		}
		return out
	}
	ops := operators()
	var paramsBefore poai.QueryParamsResponse
	c.apps[0].MustQuery("/selfchain.poai.v1.Query/Params", &poai.QueryParamsRequest{}, &paramsBefore)
	res = c.block(votes, nil, c.tx(outsider, createMsg(outsider, strangerKey, newStake)))
	require.Equal(t, poai.ErrOperatorNotAllowed.Code(), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, "poai", res.TxResults[0].Codespace)
	require.Contains(t, res.TxResults[0].Log, "only the params authority "+authority.Addr.String()+" can add it")
	require.Equal(t, bal, c.apps[0].Balance(outsider.Addr, "uself"), "no fee in tests, and no stake moved")
	require.Equal(t, pool, c.apps[0].Balance(poai.BondedPool, "uself"))
	require.Equal(t, ops, operators(), "no validator record written, no stake moved")
	require.Len(t, ops, 2)

	// The authority admits the stranger; it then creates its validator and joins the set.
	var pr poai.QueryParamsResponse
	c.apps[0].MustQuery("/selfchain.poai.v1.Query/Params", &poai.QueryParamsRequest{}, &pr)
	require.Equal(t, paramsBefore.Params, pr.Params, "params unchanged by the refused tx")
	p := pr.Params
	p.AllowedOperators = append(p.AllowedOperators, outsider.Addr.String())
	res = c.block(votes, nil, c.tx(authority, &poai.MsgUpdateParams{Authority: authority.Addr.String(), Params: p}))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	res = c.block(votes, nil, c.tx(outsider, createMsg(outsider, strangerKey, newStake)))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)

	var joined bool
	for c.height < 15 && !joined {
		if pw, ok := powerOf(c.block(votes, nil), strangerKey); ok && pw > 0 {
			joined = true
		}
	}
	require.True(t, joined, "the admitted operator's validator enters the set at an epoch end")
}

// A genesis whose poai bond denom bank does not know fails InitChain (and the
// app's genesis validation) naming both, instead of halting at block 1 when
// EndBlock mints inflation in it.
func TestUnknownBondDenomFailsAtGenesis(t *testing.T) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	for _, withValidators := range []bool{false, true} {
		state := map[string]json.RawMessage{}
		require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 1_000_000), &state))
		gs := poai.DefaultGenesis()
		gs.Params.BondDenom = "uacme"
		if withValidators {
			gs.Validators = []poai.Validator{genVal(accs[1].Addr.String(), genKey, genStake)}
		}
		bz, err := runtime.MarshalGenesis(&gs)
		require.NoError(t, err)
		state[poai.ModuleName] = bz
		appState, err := json.Marshal(state)
		require.NoError(t, err)

		err = app.ValidateGenesisAppState(testutil.ChainID, appState)
		require.ErrorIs(t, err, runtime.ErrInvalidGenesis)
		require.Contains(t, err.Error(), "app_state.poai: params.bond_denom: uacme is not known to bank (app_state.bank.denom_metadata has no entry with base \"uacme\")")

		a, err := app.New(nil, dbm.NewMemDB(), testutil.Config())
		require.NoError(t, err)
		_, err = a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testutil.ChainID, InitialHeight: 1, AppStateBytes: appState})
		require.Error(t, err)
		require.Contains(t, err.Error(), "params.bond_denom: uacme is not known to bank")
		require.NoError(t, a.Close())

		// Made known to bank, the same genesis starts and runs past block 1 (inflation minted).
		var bg bank.GenesisState
		require.NoError(t, runtime.UnmarshalGenesis(state[bank.ModuleName], &bg))
		bg.DenomMetadata = append(bg.DenomMetadata, bank.Metadata{Base: "uacme", Display: "acme", Exponent: 6})
		state[bank.ModuleName], err = runtime.MarshalGenesis(&bg)
		require.NoError(t, err)
		appState, err = json.Marshal(state)
		require.NoError(t, err)
		require.NoError(t, app.ValidateGenesisAppState(testutil.ChainID, appState))
		ta := testutil.NewTestApp(t, nil, testutil.Config(), appState)
		ta.NextBlock()
		ta.NextBlock()
		if withValidators {
			require.Equal(t, uint64(gs.Params.InflationPerBlock*2), ta.Balance(poai.RewardsPool, "uacme").Uint64())
		}
		require.NoError(t, ta.Close())
	}
}

// The bond denom's genesis supply must leave room to mint inflation; the
// validators' stake plus unbonding entries is bounded so the bonded pool's
// top-up cannot wrap; genesis validators must use a key type the consensus
// params allow (else a later validator update halts CometBFT).
func TestGenesisCannotSetUpAnEndBlockFailure(t *testing.T) {
	// Supply headroom, offline and at InitChain.
	accs := []*testutil.Account{testutil.NewAccount(0)}
	state := map[string]json.RawMessage{}
	require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 1), &state))
	var bg bank.GenesisState
	require.NoError(t, runtime.UnmarshalGenesis(state[bank.ModuleName], &bg))
	huge, err := types.ParseInt("57896044618658097711785492504343953926634992332820282019728792003956564819969") // 2^255 + 1
	require.NoError(t, err)
	bg.Balances[0].Coins = types.Coins{{Denom: "uself", Amount: huge}}
	state[bank.ModuleName], err = runtime.MarshalGenesis(&bg)
	require.NoError(t, err)
	appState, err := json.Marshal(state)
	require.NoError(t, err)
	err = app.ValidateGenesisAppState(testutil.ChainID, appState)
	require.Error(t, err)
	require.Contains(t, err.Error(), "leaves no room to mint inflation")
	a, err := app.New(nil, dbm.NewMemDB(), testutil.Config())
	require.NoError(t, err)
	_, err = a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testutil.ChainID, InitialHeight: 1, AppStateBytes: appState})
	require.ErrorContains(t, err, "leaves no room to mint inflation")
	require.NoError(t, a.Close())

	// Stake sums are bounded.
	k2 := cmted25519.GenPrivKeyFromSecret([]byte("second"))
	gs := poai.GenesisState{Params: poai.DefaultParams(), Validators: []poai.Validator{
		genVal(testutil.NewAccount(5).Addr.String(), genKey, 1<<62),
		genVal(testutil.NewAccount(6).Addr.String(), k2, 1<<62),
	}}
	require.ErrorContains(t, gs.Validate(), "validators[1].self_stake: the validators' stake sums past")
	gs.Validators = gs.Validators[:1]
	gs.Validators[0].SelfStake = 1 << 61
	gs.Unbonding = []poai.UnbondingEntry{{OperatorAddress: gs.Validators[0].OperatorAddress, Amount: 1 << 61}, {OperatorAddress: gs.Validators[0].OperatorAddress, Amount: 1}}
	require.ErrorContains(t, gs.Validate(), "unbonding[1].amount: validators' stake plus unbonding entries sum past")
	gs.Unbonding = nil
	gs.Validators[0].OutstandingRewards = 1<<62 + 1
	require.ErrorContains(t, gs.Validate(), "validators[0].outstanding_rewards")

	// A genesis validator whose key type the consensus params exclude fails InitChain.
	state = map[string]json.RawMessage{}
	require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 1_000_000), &state))
	pg := poai.DefaultGenesis()
	pg.Validators = []poai.Validator{genVal(testutil.NewAccount(5).Addr.String(), genKey, genStake)}
	state[poai.ModuleName], err = runtime.MarshalGenesis(&pg)
	require.NoError(t, err)
	appState, err = json.Marshal(state)
	require.NoError(t, err)
	a, err = app.New(nil, dbm.NewMemDB(), testutil.Config())
	require.NoError(t, err)
	_, err = a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testutil.ChainID, InitialHeight: 1, AppStateBytes: appState,
		ConsensusParams: &cmtproto.ConsensusParams{Validator: &cmtproto.ValidatorParams{PubKeyTypes: []string{"ml_dsa_65"}}}})
	require.ErrorContains(t, err, "allow only ml_dsa_65 validator keys, not ed25519")
	require.NoError(t, a.Close())
}
