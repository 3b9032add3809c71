package bank_test

import (
	"testing"

	"cosmossdk.io/collections"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

func TestSendCoins(t *testing.T) {
	e := funded(t)
	// Genesis gave alice and carol accounts 0 and 1; bob is new.
	_, found, err := e.ak.GetAccount(e.ctx, bob)
	require.NoError(t, err)
	require.False(t, found)

	require.NoError(t, e.k.SendCoins(e.ctx, alice, bob, testutil.ParseCoins(t, "5uatom,300uself")))

	require.Equal(t, "700", e.balance(t, alice, "uself"))
	require.Equal(t, "45", e.balance(t, alice, atom))
	require.Equal(t, "300", e.balance(t, bob, "uself"))
	require.Equal(t, "5", e.balance(t, bob, atom))
	require.Equal(t, "1010", e.supply(t, "uself"))
	require.Equal(t, "50", e.supply(t, atom))

	acc, found, err := e.ak.GetAccount(e.ctx, bob)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint64(2), acc.AccountNumber)

	evs := e.events()
	require.Len(t, evs, 1)
	require.Equal(t, bank.EventTypeTransfer, evs[0].Type)
	require.Equal(t, map[string]string{"sender": alice.String(), "recipient": bob.String(), "amount": "5uatom,300uself"}, attrs(evs[0]))
}

func TestSendWholeBalanceDeletesEntry(t *testing.T) {
	e := funded(t)
	require.NoError(t, e.k.SendCoins(e.ctx, carol, bob, testutil.ParseCoins(t, "10uself")))
	has, err := e.k.Balances.Has(e.ctx, collections.Join([]byte(carol), "uself"))
	require.NoError(t, err)
	require.False(t, has, "a zero balance must be deleted, not stored")
	all, err := e.k.GetAllBalances(e.ctx, carol)
	require.NoError(t, err)
	require.Empty(t, all)
}

func TestSendToSelf(t *testing.T) {
	e := funded(t)
	require.NoError(t, e.k.SendCoins(e.ctx, alice, alice, testutil.ParseCoins(t, "1000uself")))
	require.Equal(t, "1000", e.balance(t, alice, "uself"))
}

func TestSendInsufficientFundsChangesNothing(t *testing.T) {
	e := funded(t)
	before := e.snapshot(t)
	// uatom is affordable and comes first: it must not be debited either.
	err := e.k.SendCoins(e.ctx, alice, bob, testutil.ParseCoins(t, "5uatom,2000uself"))
	require.ErrorIs(t, err, runtime.ErrInsufficientFunds)
	require.Contains(t, err.Error(), "has 1000uself, needs 2000uself")
	require.Equal(t, before, e.snapshot(t))
	_, found, err := e.ak.GetAccount(e.ctx, bob)
	require.NoError(t, err)
	require.False(t, found, "a failed send must not create the recipient's account")
	require.Empty(t, e.events())
}

func TestSendUnknownDenom(t *testing.T) {
	e := funded(t)
	before := e.snapshot(t)
	err := e.k.SendCoins(e.ctx, alice, bob, testutil.ParseCoins(t, "1ufoo"))
	require.ErrorIs(t, err, runtime.ErrUnknownDenom)
	require.Contains(t, err.Error(), "denomination ufoo is not known to this chain")
	require.Equal(t, before, e.snapshot(t))
}

func TestSendRejectsNonCanonicalCoins(t *testing.T) {
	e := funded(t)
	before := e.snapshot(t)
	// Duplicates would let the check-then-write pass twice against one balance.
	dup := types.Coins{types.NewCoin("uself", 600), types.NewCoin("uself", 600)}
	require.ErrorIs(t, e.k.SendCoins(e.ctx, alice, bob, dup), runtime.ErrInvalidCoins)
	zero := types.Coins{types.NewCoin("uself", 0)}
	require.ErrorIs(t, e.k.SendCoins(e.ctx, alice, bob, zero), runtime.ErrInvalidCoins)
	require.Equal(t, before, e.snapshot(t))
}

func TestDeductFee(t *testing.T) {
	e := funded(t)
	require.NoError(t, e.k.DeductFee(e.ctx, alice, testutil.ParseCoins(t, "25uself")))
	require.Equal(t, "975", e.balance(t, alice, "uself"))
	require.Equal(t, "25", e.balance(t, bank.FeeCollector, "uself"))
	require.Equal(t, "1010", e.supply(t, "uself"))
	require.NoError(t, e.k.DeductFee(e.ctx, alice, nil), "no fee, nothing to do")

	before := e.snapshot(t)
	err := e.k.DeductFee(e.ctx, carol, testutil.ParseCoins(t, "11uself"))
	require.ErrorIs(t, err, runtime.ErrInsufficientFunds)
	require.Contains(t, err.Error(), "cannot pay fee 11uself")
	require.Contains(t, err.Error(), "has 10uself, needs 11uself")
	require.Equal(t, before, e.snapshot(t))
}

func TestMintBurn(t *testing.T) {
	e := funded(t)
	require.NoError(t, e.k.MintCoins(e.ctx, bob, testutil.ParseCoins(t, "500uself")))
	require.Equal(t, "500", e.balance(t, bob, "uself"))
	require.Equal(t, "1510", e.supply(t, "uself"))
	acc, found, err := e.ak.GetAccount(e.ctx, bob)
	require.NoError(t, err)
	require.True(t, found, "minting to an address gives it an account")
	require.Equal(t, uint64(2), acc.AccountNumber)
	require.Equal(t, bank.EventTypeMint, e.events()[0].Type)

	require.NoError(t, e.k.BurnCoins(e.ctx, bob, testutil.ParseCoins(t, "200uself")))
	require.Equal(t, "300", e.balance(t, bob, "uself"))
	require.Equal(t, "1310", e.supply(t, "uself"))

	// Burning everything of a denom removes its supply entry.
	require.NoError(t, e.k.BurnCoins(e.ctx, alice, testutil.ParseCoins(t, "50uatom")))
	require.Equal(t, "0", e.supply(t, atom))
	has, err := e.k.Supply.Has(e.ctx, atom)
	require.NoError(t, err)
	require.False(t, has)

	before := e.snapshot(t)
	require.ErrorIs(t, e.k.BurnCoins(e.ctx, bob, testutil.ParseCoins(t, "301uself")), runtime.ErrInsufficientFunds)
	require.ErrorIs(t, e.k.MintCoins(e.ctx, bob, testutil.ParseCoins(t, "1ufoo")), runtime.ErrUnknownDenom)
	require.ErrorIs(t, e.k.MintCoins(e.ctx, bob, nil), runtime.ErrInvalidCoins)
	require.ErrorIs(t, e.k.MintCoins(e.ctx, bob, types.Coins{types.NewCoin("uself", 0)}), runtime.ErrInvalidCoins)
	require.Equal(t, before, e.snapshot(t))
}

func TestMintOverflowChangesNothing(t *testing.T) {
	e := funded(t)
	huge := types.Coins{{Denom: "uself", Amount: maxInt()}}
	before := e.snapshot(t)
	// Supply is 1010: adding 2^256-1 overflows; uatom (first) must not be minted either.
	err := e.k.MintCoins(e.ctx, bob, types.Coins{types.NewCoin(atom, 1), huge[0]})
	require.ErrorIs(t, err, runtime.ErrInvalidCoins)
	require.Contains(t, err.Error(), "overflow")
	require.Equal(t, before, e.snapshot(t))

	// Up to the limit is fine.
	rest, err := maxInt().Sub(types.NewInt(1010))
	require.NoError(t, err)
	require.NoError(t, e.k.MintCoins(e.ctx, bob, types.Coins{{Denom: "uself", Amount: rest}}))
	require.Equal(t, maxInt().String(), e.supply(t, "uself"))
	require.NoError(t, e.k.SendCoins(e.ctx, bob, alice, types.Coins{{Denom: "uself", Amount: rest}}))
	aliceWant, err := maxInt().Sub(types.NewInt(10)) // everything but carol's 10
	require.NoError(t, err)
	require.Equal(t, aliceWant.String(), e.balance(t, alice, "uself"))
}

func TestGetAllBalancesOnlyThatAddress(t *testing.T) {
	e := funded(t)
	all, err := e.k.GetAllBalances(e.ctx, alice)
	require.NoError(t, err)
	require.Equal(t, testutil.ParseCoins(t, "50uatom,1000uself"), all)
	all, err = e.k.GetAllBalances(e.ctx, bob)
	require.NoError(t, err)
	require.Empty(t, all)
}

func TestDenomMetadataAndParams(t *testing.T) {
	e := funded(t)
	ok, err := e.k.HasDenom(e.ctx, "uself")
	require.NoError(t, err)
	require.True(t, ok)
	require.ErrorIs(t, e.k.SetDenomMetadata(e.ctx, bank.Metadata{Base: "x"}), runtime.ErrInvalidRequest)
	require.NoError(t, e.k.SetDenomMetadata(e.ctx, bank.Metadata{Base: "bridge/abc", Display: "ABC"}))
	require.NoError(t, e.k.MintCoins(e.ctx, bob, testutil.ParseCoins(t, "3bridge/abc")))

	p, err := e.k.GetParams(e.ctx)
	require.NoError(t, err)
	require.Equal(t, bank.Params{SendEnabled: true, MaxMultiSendOutputs: 100}, p)
	require.ErrorIs(t, e.k.SetParams(e.ctx, bank.Params{MaxMultiSendOutputs: 257}), runtime.ErrInvalidRequest)
}
