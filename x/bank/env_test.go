package bank_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
)

func newCtx() *runtime.Context { return testutil.KeeperContext(nil, "test-1", 1) }

type env struct {
	ctx  *runtime.Context
	ak   auth.Keeper
	k    bank.Keeper
	msgs bank.MsgServer
	q    bank.QueryServer
}

func newKeepers() (auth.Keeper, bank.Keeper) {
	ak := auth.NewKeeper(runtime.NewKVStoreService(auth.ModuleName))
	return ak, bank.NewKeeper(runtime.NewKVStoreService(bank.ModuleName), ak)
}

const atom = "uatom"

// setup initialises auth (default) then bank with gs (auth first, as the app does).
func setup(t testing.TB, gs bank.GenesisState) *env {
	t.Helper()
	e := &env{ctx: newCtx()}
	e.ak, e.k = newKeepers()
	require.NoError(t, e.ak.InitGenesis(e.ctx, auth.DefaultGenesis()))
	require.NoError(t, e.k.InitGenesis(e.ctx, gs))
	e.msgs, e.q = bank.NewMsgServer(e.k), bank.NewQueryServer(e.k)
	return e
}

// funded: alice holds 1000uself and 50uatom, carol 10uself.
func funded(t testing.TB) *env {
	gs := bank.DefaultGenesis()
	gs.DenomMetadata = append(gs.DenomMetadata, bank.Metadata{Base: atom, Display: "ATOM", Exponent: 6})
	gs.Balances = []bank.Balance{
		{Address: alice.String(), Coins: testutil.ParseCoins(t, "50uatom,1000uself")},
		{Address: carol.String(), Coins: testutil.ParseCoins(t, "10uself")},
	}
	return setup(t, gs)
}

var (
	alice = testutil.Addr(1)
	bob   = testutil.Addr(2)
	carol = testutil.Addr(3)
)

func (e *env) balance(t testing.TB, a crypto.Address, denom string) string {
	t.Helper()
	v, err := e.k.GetBalance(e.ctx, a, denom)
	require.NoError(t, err)
	return v.String()
}

func (e *env) supply(t testing.TB, denom string) string {
	t.Helper()
	v, err := e.k.GetSupply(e.ctx, denom)
	require.NoError(t, err)
	return v.String()
}

// snapshot is the whole bank state, for "nothing changed" checks.
func (e *env) snapshot(t testing.TB) bank.GenesisState {
	t.Helper()
	gs, err := e.k.ExportGenesis(e.ctx)
	require.NoError(t, err)
	return gs
}

func (e *env) events() []abci.Event { return e.ctx.EventManager().Events() }

func attrs(ev abci.Event) map[string]string {
	m := map[string]string{}
	for _, a := range ev.Attributes {
		m[a.Key] = a.Value
	}
	return m
}

// maxInt is 2^256-1.
func maxInt() types.Int {
	var b [32]byte
	for i := range b {
		b[i] = 0xff
	}
	return types.IntFromBytes32(b)
}

func storeService() runtime.KVStoreService { return runtime.NewKVStoreService(bank.ModuleName) }
