package bank_test

import (
	"strings"
	"testing"

	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

func TestMsgServerSend(t *testing.T) {
	e := funded(t)
	// Upper-case bech32 is valid input; events still carry the canonical form.
	_, err := e.msgs.Send(e.ctx, &bank.MsgSend{FromAddress: alice.String(), ToAddress: strings.ToUpper(bob.String()), Amount: testutil.ParseCoins(t, "7uself")})
	require.NoError(t, err)
	require.Equal(t, "7", e.balance(t, bob, "uself"))
	require.Equal(t, bob.String(), attrs(e.events()[0])["recipient"])

	before := e.snapshot(t)
	_, err = e.msgs.Send(e.ctx, &bank.MsgSend{FromAddress: alice.String(), ToAddress: bob.String(), Amount: testutil.ParseCoins(t, "1uxyz")})
	require.ErrorIs(t, err, runtime.ErrUnknownDenom)
	require.Contains(t, err.Error(), "denomination uxyz is not known to this chain")
	_, err = e.msgs.Send(e.ctx, &bank.MsgSend{FromAddress: bob.String(), ToAddress: alice.String(), Amount: testutil.ParseCoins(t, "8uself")})
	require.ErrorIs(t, err, runtime.ErrInsufficientFunds)
	_, err = e.msgs.Send(e.ctx, &bank.MsgSend{FromAddress: "bad", ToAddress: alice.String(), Amount: testutil.ParseCoins(t, "8uself")})
	require.ErrorIs(t, err, runtime.ErrInvalidAddress)
	require.Equal(t, before, e.snapshot(t))
}

func TestMsgServerSendDisabled(t *testing.T) {
	gs := bank.DefaultGenesis()
	gs.Params.SendEnabled = false
	gs.Balances = []bank.Balance{{Address: alice.String(), Coins: testutil.ParseCoins(t, "10uself")}}
	e := setup(t, gs)
	_, err := e.msgs.Send(e.ctx, &bank.MsgSend{FromAddress: alice.String(), ToAddress: bob.String(), Amount: testutil.ParseCoins(t, "1uself")})
	require.ErrorIs(t, err, bank.ErrSendDisabled)
	_, err = e.msgs.MultiSend(e.ctx, &bank.MsgMultiSend{
		Input:   bank.Input{Address: alice.String(), Coins: testutil.ParseCoins(t, "1uself")},
		Outputs: []bank.Output{{Address: bob.String(), Coins: testutil.ParseCoins(t, "1uself")}},
	})
	require.ErrorIs(t, err, bank.ErrSendDisabled)
	cs, code, _ := runtime.ABCIInfo(err)
	require.Equal(t, "bank", cs)
	require.Equal(t, uint32(2), code)
	// Keeper-level moves (fees, other modules) are not braked.
	require.NoError(t, e.k.SendCoins(e.ctx, alice, bob, testutil.ParseCoins(t, "1uself")))
}

func TestMsgServerMultiSend(t *testing.T) {
	e := funded(t)
	msg := &bank.MsgMultiSend{
		Input: bank.Input{Address: alice.String(), Coins: testutil.ParseCoins(t, "5uatom,30uself")},
		Outputs: []bank.Output{
			{Address: bob.String(), Coins: testutil.ParseCoins(t, "10uself")},
			{Address: carol.String(), Coins: testutil.ParseCoins(t, "5uatom,20uself")},
		},
	}
	require.NoError(t, msg.ValidateBasic())
	_, err := e.msgs.MultiSend(e.ctx, msg)
	require.NoError(t, err)
	require.Equal(t, "970", e.balance(t, alice, "uself"))
	require.Equal(t, "45", e.balance(t, alice, atom))
	require.Equal(t, "10", e.balance(t, bob, "uself"))
	require.Equal(t, "30", e.balance(t, carol, "uself"))
	require.Equal(t, "5", e.balance(t, carol, atom))
	require.Equal(t, "1010", e.supply(t, "uself"))
	acc, found, err := e.ak.GetAccount(e.ctx, bob)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint64(2), acc.AccountNumber)

	evs := e.events()
	require.Len(t, evs, 2, "one transfer event per output")
	require.Equal(t, map[string]string{"sender": alice.String(), "recipient": carol.String(), "amount": "5uatom,20uself"}, attrs(evs[1]))
}

func TestMsgServerMultiSendLimitsAndSums(t *testing.T) {
	e := funded(t)
	require.NoError(t, e.k.SetParams(e.ctx, bank.Params{SendEnabled: true, MaxMultiSendOutputs: 2}))
	before := e.snapshot(t)
	three := &bank.MsgMultiSend{Input: bank.Input{Address: alice.String(), Coins: testutil.ParseCoins(t, "3uself")}}
	for range 3 {
		three.Outputs = append(three.Outputs, bank.Output{Address: bob.String(), Coins: testutil.ParseCoins(t, "1uself")})
	}
	require.NoError(t, three.ValidateBasic(), "within the hard cap")
	_, err := e.msgs.MultiSend(e.ctx, three)
	require.ErrorIs(t, err, bank.ErrTooManyOutputs)
	require.Contains(t, err.Error(), "3 outputs, at most 2")

	// The msg server re-checks sums even if ValidateBasic was skipped.
	bad := &bank.MsgMultiSend{
		Input:   bank.Input{Address: alice.String(), Coins: testutil.ParseCoins(t, "1uself")},
		Outputs: []bank.Output{{Address: bob.String(), Coins: testutil.ParseCoins(t, "100uself")}},
	}
	_, err = e.msgs.MultiSend(e.ctx, bad)
	require.ErrorIs(t, err, bank.ErrInputOutputMismatch)

	poor := &bank.MsgMultiSend{
		Input:   bank.Input{Address: carol.String(), Coins: testutil.ParseCoins(t, "11uself")},
		Outputs: []bank.Output{{Address: bob.String(), Coins: testutil.ParseCoins(t, "11uself")}},
	}
	_, err = e.msgs.MultiSend(e.ctx, poor)
	require.ErrorIs(t, err, runtime.ErrInsufficientFunds)
	require.Equal(t, before, e.snapshot(t))
}

func TestMsgRoutedThroughRuntime(t *testing.T) {
	e := funded(t)
	msgs, queries := runtime.NewMsgRouter(), runtime.NewQueryRouter()
	bank.NewModule(e.k).RegisterServices(runtime.Registrars{Msg: msgs, Query: queries})
	require.Equal(t, []string{"/selfchain.bank.v1.MsgMultiSend", "/selfchain.bank.v1.MsgSend"}, msgs.TypeURLs())

	send := &bank.MsgSend{FromAddress: alice.String(), ToAddress: bob.String(), Amount: types.Coins{types.NewCoin("uself", 3)}}
	bz, err := send.Marshal()
	require.NoError(t, err)
	decoded, err := msgs.DecodeAny("msg", &gogotypes.Any{TypeUrl: "/selfchain.bank.v1.MsgSend", Value: bz})
	require.NoError(t, err)
	require.NoError(t, decoded.ValidateBasic())
	h, ok := msgs.Handler("/selfchain.bank.v1.MsgSend")
	require.True(t, ok)
	_, err = h(e.ctx, decoded)
	require.NoError(t, err)
	require.Equal(t, "3", e.balance(t, bob, "uself"))

	qh, ok := queries.Handler("/selfchain.bank.v1.Query/Balance")
	require.True(t, ok)
	req, err := (&bank.QueryBalanceRequest{Address: bob.String(), Denom: "uself"}).Marshal()
	require.NoError(t, err)
	res, err := qh(e.ctx, req)
	require.NoError(t, err)
	require.Equal(t, "3uself", res.(*bank.QueryBalanceResponse).Balance.String())
}
