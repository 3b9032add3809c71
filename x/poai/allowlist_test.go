package poai_test

import (
	"bytes"
	"strings"
	"testing"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/poai"
)

// Tests of allowed_operators (permissioned validator admission, the "authority"
// PoAI mode of constellation chains): params and genesis validation, and the
// msg server's refusal, at the keeper level.

var stranger = testutil.NewAccount(12)

// dump is every key/value of every store the env wrote: equal dumps mean the
// state (records, params, balances, indexes) is unchanged.
func (e *env) dump(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, name := range []string{"auth", "bank", "poai"} {
		db, ok := e.stores[name]
		if !ok {
			continue
		}
		it, err := db.Iterator(nil, nil)
		require.NoError(t, err)
		for ; it.Valid(); it.Next() {
			b.WriteString(name)
			b.WriteByte('/')
			b.Write(it.Key())
			b.WriteByte('=')
			b.Write(it.Value())
			b.WriteByte('\n')
		}
		require.NoError(t, it.Close())
	}
	return b.String()
}

func TestAllowedOperatorsParamValidation(t *testing.T) {
	ok := poai.DefaultParams()
	require.NoError(t, ok.Validate(), "empty = open admission, the default")
	require.Empty(t, ok.AllowedOperators)
	ok.AllowedOperators = []string{alice.Addr.String(), bob.Addr.String()}
	require.NoError(t, ok.Validate())

	tooMany := make([]string, poai.MaxAllowedOperators+1)
	for i := range tooMany {
		tooMany[i] = testutil.NewAccount(1000 + i).Addr.String()
	}
	for _, tc := range []struct {
		name string
		list []string
		want string
	}{
		{"not bech32", []string{"nope"}, "allowed_operators[0]: invalid address"},
		{"empty entry", []string{alice.Addr.String(), ""}, "allowed_operators[1]: invalid address"},
		{"uppercase", []string{strings.ToUpper(alice.Addr.String())}, "(lowercase)"},
		{"duplicate", []string{alice.Addr.String(), bob.Addr.String(), alice.Addr.String()}, "allowed_operators[2]: " + alice.Addr.String() + " is already allowed_operators[0]"},
		{"too long", []string{strings.Repeat("a", 10_000)}, "allowed_operators[0]: 10000 characters"},
		{"too many", tooMany, "allowed_operators: 1001 entries, at most 1000"},
	} {
		p := poai.DefaultParams()
		p.AllowedOperators = tc.list
		err := p.Validate()
		require.Error(t, err, tc.name)
		require.Contains(t, err.Error(), tc.want, tc.name)
	}
	full := poai.DefaultParams()
	full.AllowedOperators = tooMany[:poai.MaxAllowedOperators]
	require.NoError(t, full.Validate(), "exactly the bound is fine")
}

func TestAllowedOperatorsGenesisValidation(t *testing.T) {
	gs := poai.GenesisState{Params: testParams(alice.Addr.String()), Validators: []poai.Validator{
		genVal(bob.Addr.String(), genKey, genStake),
	}}
	require.NoError(t, gs.Validate(), "open admission: any operator")
	gs.Params.AllowedOperators = []string{bob.Addr.String()}
	require.NoError(t, gs.Validate())
	gs.Params.AllowedOperators = []string{alice.Addr.String()}
	err := gs.Validate()
	require.Error(t, err)
	require.Contains(t, err.Error(), "validators[0].operator_address: "+bob.Addr.String()+" is not on params.allowed_operators")
}

// The keeper scenario: an allowed operator joins; a stranger is refused with
// poai/22 naming the authority, changing nothing; a stranger cannot add itself;
// the authority adds it; then it joins.
func TestAllowedOperatorsCreateValidator(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx(2)
	srv := poai.NewMsgServer(e.k)
	p, err := e.k.GetParams(ctx)
	require.NoError(t, err)
	p.AllowedOperators = []string{bob.Addr.String(), alice.Addr.String()} // bob is the genesis operator
	_, err = srv.UpdateParams(ctx, &poai.MsgUpdateParams{Authority: alice.Addr.String(), Params: p})
	require.NoError(t, err)

	// alice (listed) creates a validator.
	k1 := cmted25519.GenPrivKeyFromSecret([]byte("allowlist-1"))
	_, err = srv.CreateValidator(ctx, createMsgFor(alice, k1, 1_000_000))
	require.NoError(t, err)
	_, found, err := e.k.GetValidator(ctx, alice.Addr)
	require.NoError(t, err)
	require.True(t, found)

	// The stranger (funded) is refused with its own code; nothing changes.
	require.NoError(t, e.bk.MintCoins(ctx, stranger.Addr, coins(10_000_000)))
	k2 := cmted25519.GenPrivKeyFromSecret([]byte("allowlist-2"))
	before := e.dump(t)
	_, err = srv.CreateValidator(ctx, createMsgFor(stranger, k2, 1_000_000))
	require.ErrorIs(t, err, poai.ErrOperatorNotAllowed)
	require.Contains(t, err.Error(), stranger.Addr.String()+" is not on allowed_operators (2 operators): only the params authority "+alice.Addr.String()+" can add it")
	codespace, code, _ := runtime.ABCIInfo(err)
	require.Equal(t, "poai", codespace)
	require.Equal(t, uint32(22), code)
	require.Equal(t, before, e.dump(t), "a refused create-validator changes no state")

	// The stranger cannot add itself: it is not the authority.
	self := p
	self.AllowedOperators = append(append([]string(nil), p.AllowedOperators...), stranger.Addr.String())
	_, err = srv.UpdateParams(ctx, &poai.MsgUpdateParams{Authority: stranger.Addr.String(), Params: self})
	require.ErrorIs(t, err, poai.ErrNotAuthority)
	require.Equal(t, before, e.dump(t))

	// The authority admits it; then it joins.
	_, err = srv.UpdateParams(ctx, &poai.MsgUpdateParams{Authority: alice.Addr.String(), Params: self})
	require.NoError(t, err)
	_, err = srv.CreateValidator(ctx, createMsgFor(stranger, k2, 1_000_000))
	require.NoError(t, err)
	v, found, err := e.k.GetValidator(ctx, stranger.Addr)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint64(1_000_000), v.SelfStake)

	// Export → validate: every registered operator is on the list.
	gs, err := e.k.ExportGenesis(ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
}

// A non-empty list must keep every registered operator (the list gates
// create-validator only, and an exported genesis must stay valid); emptying
// it reopens admission.
func TestAllowedOperatorsUpdateKeepsRegisteredOperators(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx(2)
	srv := poai.NewMsgServer(e.k)
	p, err := e.k.GetParams(ctx)
	require.NoError(t, err)
	before := e.dump(t)
	p.AllowedOperators = []string{alice.Addr.String()} // leaves out bob, the genesis operator
	_, err = srv.UpdateParams(ctx, &poai.MsgUpdateParams{Authority: alice.Addr.String(), Params: p})
	require.ErrorIs(t, err, poai.ErrInvalidParams)
	require.Contains(t, err.Error(), "allowed_operators leaves out "+bob.Addr.String()+", which already operates a validator")
	require.Equal(t, before, e.dump(t))

	p.AllowedOperators = []string{"self1notanaddress"}
	_, err = srv.UpdateParams(ctx, &poai.MsgUpdateParams{Authority: alice.Addr.String(), Params: p})
	require.ErrorIs(t, err, poai.ErrInvalidParams)
	require.Contains(t, err.Error(), "params.allowed_operators[0]")
	require.Equal(t, before, e.dump(t))

	p.AllowedOperators = []string{bob.Addr.String()}
	_, err = srv.UpdateParams(ctx, &poai.MsgUpdateParams{Authority: alice.Addr.String(), Params: p})
	require.NoError(t, err)
	p.AllowedOperators = nil
	_, err = srv.UpdateParams(ctx, &poai.MsgUpdateParams{Authority: alice.Addr.String(), Params: p})
	require.NoError(t, err)
	require.NoError(t, e.bk.MintCoins(ctx, stranger.Addr, coins(1_000_000)))
	_, err = srv.CreateValidator(ctx, createMsgFor(stranger, cmted25519.GenPrivKeyFromSecret([]byte("open-again")), 1_000_000))
	require.NoError(t, err, "an empty list is open admission again")
}

func createMsgFor(acc *testutil.Account, key cmted25519.PrivKey, stake uint64) *poai.MsgCreateValidator {
	m := createMsg(acc, key, stake)
	m.ModelHash = bytes.Repeat([]byte{1}, 32)
	return m
}

func coins(n uint64) types.Coins { return types.Coins{types.NewCoin("uself", n)} }
