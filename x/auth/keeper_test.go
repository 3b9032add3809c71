package auth_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
)

func TestGetAccountAbsent(t *testing.T) {
	ctx, k := setup(t)
	acc, found, err := k.GetAccount(ctx, testutil.Addr(1))
	require.NoError(t, err)
	require.False(t, found)
	require.Equal(t, auth.Account{}, acc)
}

func TestEnsureAccountNumbersInOrder(t *testing.T) {
	ctx, k := setup(t)
	for i := byte(1); i <= 3; i++ {
		acc, err := k.EnsureAccount(ctx, testutil.Addr(i))
		require.NoError(t, err)
		require.Equal(t, uint64(i-1), acc.AccountNumber)
		require.True(t, acc.Address.Equals(testutil.Addr(i)))
	}
	// An existing account is returned as stored, not renumbered.
	acc, err := k.EnsureAccount(ctx, testutil.Addr(2))
	require.NoError(t, err)
	require.Equal(t, uint64(1), acc.AccountNumber)
	next, err := k.NextAccountNumber.Peek(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(3), next)
}

func TestEnsureAccountDoesNotAliasInput(t *testing.T) {
	ctx, k := setup(t)
	addr := testutil.Addr(7)
	acc, err := k.EnsureAccount(ctx, addr)
	require.NoError(t, err)
	addr[0] = 0xff
	require.Equal(t, byte(7), acc.Address[0])
}

func TestEnsureAccountRejectsBadAddress(t *testing.T) {
	ctx, k := setup(t)
	_, err := k.EnsureAccount(ctx, crypto.Address{1, 2, 3})
	require.ErrorIs(t, err, runtime.ErrInvalidAddress)
	require.ErrorIs(t, k.SetAccount(ctx, auth.Account{Address: crypto.Address{1}}), runtime.ErrInvalidAddress)
}

func TestSetAccountRoundTrip(t *testing.T) {
	ctx, k := setup(t)
	priv, err := crypto.GenerateKey("ed25519")
	require.NoError(t, err)
	pub := priv.PubKey()
	acc := auth.Account{Address: pub.Address(), AccountNumber: 9, Sequence: 4,
		PublicKey: &types.PubKey{Type: pub.Type(), Key: pub.Bytes()}}
	require.NoError(t, k.SetAccount(ctx, acc))
	got, found, err := k.GetAccount(ctx, pub.Address())
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, acc, got)
}

func TestParamsDefaults(t *testing.T) {
	ctx, k := setup(t)
	p, err := k.GetParams(ctx)
	require.NoError(t, err)
	require.Equal(t, auth.Params{MaxMemoCharacters: 256, TxSizeCostPerByte: 10, SigVerifyCost: 1000, MaxTxGas: 100_000_000}, p)
	require.Error(t, k.SetParams(ctx, auth.Params{}))
}

func TestQueryServer(t *testing.T) {
	ctx, k := setup(t)
	q := auth.NewQueryServer(k)
	acc, err := k.EnsureAccount(ctx, testutil.Addr(1))
	require.NoError(t, err)

	res, err := q.Account(ctx, &auth.QueryAccountRequest{Address: testutil.Addr(1).String()})
	require.NoError(t, err)
	require.Equal(t, auth.GenesisAccount{Address: testutil.Addr(1).String(), AccountNumber: acc.AccountNumber}, res.Account)

	_, err = q.Account(ctx, &auth.QueryAccountRequest{Address: testutil.Addr(2).String()})
	require.ErrorIs(t, err, runtime.ErrNotFound)
	require.Contains(t, err.Error(), testutil.Addr(2).String())

	_, err = q.Account(ctx, &auth.QueryAccountRequest{Address: "self1nope"})
	require.ErrorIs(t, err, runtime.ErrInvalidAddress)
	_, err = q.Account(ctx, nil)
	require.ErrorIs(t, err, runtime.ErrInvalidRequest)

	pres, err := q.Params(ctx, &auth.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, auth.DefaultParams(), pres.Params)
}

func TestQueryThroughRouter(t *testing.T) {
	ctx, k := setup(t)
	_, err := k.EnsureAccount(ctx, testutil.Addr(1))
	require.NoError(t, err)
	qr := runtime.NewQueryRouter()
	auth.NewModule(k).RegisterServices(runtime.Registrars{Msg: runtime.NewMsgRouter(), Query: qr})
	h, ok := qr.Handler("/selfchain.auth.v1.Query/Account")
	require.True(t, ok)
	req, err := (&auth.QueryAccountRequest{Address: testutil.Addr(1).String()}).Marshal()
	require.NoError(t, err)
	res, err := h(ctx, req)
	require.NoError(t, err)
	require.Equal(t, testutil.Addr(1).String(), res.(*auth.QueryAccountResponse).Account.Address)
	require.True(t, errors.Is(func() error { _, e := h(ctx, []byte{0xff}); return e }(), runtime.ErrTxDecode))
}
