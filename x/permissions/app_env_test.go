package permissions_test

import (
	"context"
	"encoding/json"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	gogoproto "github.com/cosmos/gogoproto/proto"
	gogotypes "github.com/cosmos/gogoproto/types"
	ics23 "github.com/cosmos/ics23/go"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/permissions"
)

const appID = "notes-app"

// env is a running app with a registered app "notes-app" owned by owner, which
// declares storage:read, storage:write:notes/, profile:read and bank:send.
type env struct {
	t                                   testing.TB
	ta                                  *testutil.TestApp
	user, owner, other, rcpt, authority *testutil.Account
}

func newEnv(t testing.TB) *env {
	return newEnvWith(t, func(*permissions.Params) {})
}

func newEnvWith(t testing.TB, edit func(*permissions.Params)) *env {
	t.Helper()
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1), testutil.NewAccount(2), testutil.NewAccount(3), testutil.NewAccount(4)}
	raw := testutil.GenesisAppState(accs, 10_000_000)
	state := map[string]json.RawMessage{}
	require.NoError(t, json.Unmarshal(raw, &state))
	var gs permissions.GenesisState
	require.NoError(t, runtime.UnmarshalGenesis(state[permissions.ModuleName], &gs))
	gs.Params.Authority = accs[4].Addr.String()
	edit(&gs.Params)
	bz, err := runtime.MarshalGenesis(&gs)
	require.NoError(t, err)
	state[permissions.ModuleName] = bz
	raw, err = json.Marshal(state)
	require.NoError(t, err)

	e := &env{t: t, ta: testutil.NewTestApp(t, nil, testutil.Config(), raw),
		user: accs[0], owner: accs[1], other: accs[2], rcpt: accs[3], authority: accs[4]}
	t.Cleanup(func() { _ = e.ta.Close() })
	e.ta.NextBlock()
	pub := e.owner.Key.PubKey()
	e.ok(e.tx(e.owner, &permissions.MsgRegisterApp{
		Owner: e.owner.Addr.String(), Id: appID, Name: "Notes", Homepage: "https://notes.example",
		PubKeys: []types.PubKey{{Type: pub.Type(), Key: pub.Bytes()}},
		Scopes:  []string{"storage:read", "storage:write:notes/", "profile:read", "bank:send"},
		Deposit: coins(permissions.DefaultMinDeposit),
	}))
	return e
}

func coins(n uint64) types.Coins { return types.Coins{types.NewCoin(testutil.Denom, n)} }

// tx signs msgs by acc (zero fee, so a failing tx changes only acc's sequence).
func (e *env) tx(acc *testutil.Account, msgs ...runtime.Msg) []byte {
	return testutil.SignTx(acc, testutil.TxOpts{}, msgs...)
}

// block runs one block of txs and returns their results.
func (e *env) block(txs ...[]byte) []*abci.ExecTxResult {
	e.t.Helper()
	return e.ta.NextBlock(txs...).TxResults
}

// ok runs one tx in its own block and requires success.
func (e *env) ok(tx []byte) {
	e.t.Helper()
	res := e.block(tx)[0]
	require.Zero(e.t, res.Code, res.Log)
}

// fails runs one tx in its own block and requires it to fail with want.
func (e *env) fails(tx []byte, want *runtime.Error) *abci.ExecTxResult {
	e.t.Helper()
	res := e.block(tx)[0]
	requireCode(e.t, res, want)
	return res
}

func requireCode(t testing.TB, res *abci.ExecTxResult, want *runtime.Error) {
	t.Helper()
	require.Equal(t, want.Codespace(), res.Codespace, res.Log)
	require.Equal(t, want.Code(), res.Code, res.Log)
}

func (e *env) grant(m permissions.MsgGrant) {
	e.t.Helper()
	m.User, m.AppId = e.user.Addr.String(), appID
	if m.ExpiryHeight == 0 && m.ExpiryTime == 0 {
		m.ExpiryHeight = e.ta.Height + 1000
	}
	e.ok(e.tx(e.user, &m))
}

func anyOf(t testing.TB, m runtime.Msg) *gogotypes.Any {
	bz, err := m.(interface{ Marshal() ([]byte, error) }).Marshal()
	require.NoError(t, err)
	return &gogotypes.Any{TypeUrl: "/" + protoName(m), Value: bz}
}

// exec is a MsgExec by grantee for user's grant to notes-app.
func (e *env) exec(grantee, user *testutil.Account, inner ...runtime.Msg) []byte {
	m := &permissions.MsgExec{Grantee: grantee.Addr.String(), User: user.Addr.String(), AppId: appID}
	for _, in := range inner {
		m.Msgs = append(m.Msgs, anyOf(e.t, in))
	}
	return e.tx(grantee, m)
}

func send(from, to *testutil.Account, n uint64) *bank.MsgSend {
	return &bank.MsgSend{FromAddress: from.Addr.String(), ToAddress: to.Addr.String(), Amount: coins(n)}
}

func (e *env) balance(a *testutil.Account) string {
	return e.ta.Balance(a.Addr, testutil.Denom).String()
}

// root returns the committed root of one module's tree, read from the store half
// of a proof (the multistore leaf's value): equal roots mean equal stored records.
func (e *env) root(store string) []byte {
	e.t.Helper()
	res, err := e.ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/" + store + "/key", Data: []byte{0xff}, Prove: true})
	require.NoError(e.t, err)
	require.Zero(e.t, res.Code, res.Log)
	var cp ics23.CommitmentProof
	require.NoError(e.t, cp.Unmarshal(res.ProofOps.Ops[1].Data))
	return cp.GetExist().Value
}

type snapshot struct{ perm, bank []byte }

func (e *env) snap() snapshot {
	return snapshot{e.root(permissions.ModuleName), e.root(bank.ModuleName)}
}

// unchanged requires the permissions and bank trees to be as in s.
func (e *env) unchanged(s snapshot) {
	e.t.Helper()
	require.Equal(e.t, s.perm, e.root(permissions.ModuleName), "permissions state changed")
	require.Equal(e.t, s.bank, e.root(bank.ModuleName), "bank state changed")
}

func (e *env) queryGrant(u *testutil.Account) (permissions.Grant, bool) {
	bz, _ := (&permissions.QueryGrantRequest{User: u.Addr.String(), AppId: appID}).Marshal()
	res, err := e.ta.Query(context.Background(), &abci.RequestQuery{Path: "/selfchain.permissions.v1.Query/Grant", Data: bz})
	require.NoError(e.t, err)
	if res.Code != 0 {
		return permissions.Grant{}, false
	}
	var out permissions.QueryGrantResponse
	require.NoError(e.t, out.Unmarshal(res.Value))
	return out.Grant, true
}

func (e *env) check(req *permissions.QueryCheckRequest) *permissions.QueryCheckResponse {
	e.t.Helper()
	var out permissions.QueryCheckResponse
	e.ta.MustQuery("/selfchain.permissions.v1.Query/Check", req, &out)
	return &out
}

func protoName(m runtime.Msg) string { return gogoproto.MessageName(m) }

func pubKeys(typ string, key []byte) []types.PubKey { return []types.PubKey{{Type: typ, Key: key}} }
