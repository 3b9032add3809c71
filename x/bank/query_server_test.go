package bank_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/bank"
)

func TestQueryServer(t *testing.T) {
	e := funded(t)
	q := e.q

	bal, err := q.Balance(e.ctx, &bank.QueryBalanceRequest{Address: alice.String(), Denom: "uself"})
	require.NoError(t, err)
	require.Equal(t, "1000uself", bal.Balance.String())
	bal, err = q.Balance(e.ctx, &bank.QueryBalanceRequest{Address: bob.String(), Denom: "uself"})
	require.NoError(t, err)
	require.Equal(t, "0uself", bal.Balance.String(), "no balance is a zero coin, not an error")
	_, err = q.Balance(e.ctx, &bank.QueryBalanceRequest{Address: "nope", Denom: "uself"})
	require.ErrorIs(t, err, runtime.ErrInvalidAddress)
	_, err = q.Balance(e.ctx, &bank.QueryBalanceRequest{Address: bob.String(), Denom: "!"})
	require.ErrorIs(t, err, runtime.ErrInvalidRequest)
	_, err = q.Balance(e.ctx, nil)
	require.ErrorIs(t, err, runtime.ErrInvalidRequest)

	all, err := q.AllBalances(e.ctx, &bank.QueryAllBalancesRequest{Address: alice.String()})
	require.NoError(t, err)
	require.Equal(t, "50uatom,1000uself", all.Balances.String())
	_, err = q.AllBalances(e.ctx, &bank.QueryAllBalancesRequest{Address: ""})
	require.ErrorIs(t, err, runtime.ErrInvalidAddress)

	total, err := q.TotalSupply(e.ctx, &bank.QueryTotalSupplyRequest{})
	require.NoError(t, err)
	require.Equal(t, "50uatom,1010uself", total.Supply.String())

	sup, err := q.SupplyOf(e.ctx, &bank.QuerySupplyOfRequest{Denom: atom})
	require.NoError(t, err)
	require.Equal(t, "50uatom", sup.Amount.String())
	sup, err = q.SupplyOf(e.ctx, &bank.QuerySupplyOfRequest{Denom: "ufoo"})
	require.NoError(t, err)
	require.Equal(t, "0ufoo", sup.Amount.String())

	md, err := q.DenomMetadata(e.ctx, &bank.QueryDenomMetadataRequest{Denom: "uself"})
	require.NoError(t, err)
	require.Equal(t, bank.DefaultMetadata(), md.Metadata)
	_, err = q.DenomMetadata(e.ctx, &bank.QueryDenomMetadataRequest{Denom: "ufoo"})
	require.ErrorIs(t, err, runtime.ErrNotFound)
	require.Contains(t, err.Error(), "ufoo")

	p, err := q.Params(e.ctx, &bank.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, bank.DefaultParams(), p.Params)
}
