package app_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
)

// A rejected tx gets its own code, a message a person can act on, and changes no
// state: the app hash after a block holding only that tx equals the hash before.
func TestBadInputsChangeNothing(t *testing.T) {
	valid := func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
		return testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{})
	}
	send := func(from, to string, coins types.Coins) *bank.MsgSend {
		return &bank.MsgSend{FromAddress: from, ToAddress: to, Amount: coins}
	}
	cases := []struct {
		name  string
		build func(ta *testutil.TestApp, accs []*testutil.Account) []byte
		err   *runtime.Error
		log   string
	}{
		{"random bytes", func(*testutil.TestApp, []*testutil.Account) []byte {
			return []byte("\xff\x13 definitely not a transaction \x00\x01")
		}, runtime.ErrTxDecode, "tx envelope"},
		{"truncated proto", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			bz := valid(ta, accs)
			return bz[:len(bz)-7]
		}, runtime.ErrTxDecode, ""},
		{"empty tx", func(*testutil.TestApp, []*testutil.Account) []byte { return nil }, runtime.ErrTxDecode, "empty"},
		{"unknown message type", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return signRaw(accs[0], func(b *tx.TxBody) {
				b.Messages[0] = &gogotypes.Any{TypeUrl: "/selfchain.nope.v1.MsgNope", Value: []byte{1}}
			})
		}, runtime.ErrUnknownRequest, "selfchain.nope.v1.MsgNope"},
		{"wrong signature", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			bz := valid(ta, accs)
			var raw tx.TxRaw
			require.NoError(t, raw.Unmarshal(bz))
			raw.Signatures[0][5] ^= 0x40
			out, _ := raw.Marshal()
			return out
		}, runtime.ErrUnauthorized, "signature verification failed"},
		{"signature for another chain id", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{ChainID: "other-chain-1"})
		}, runtime.ErrUnauthorized, "chain-id"},
		{"replayed sequence", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			first := valid(ta, accs)
			ta.NextBlock(first)
			return first
		}, runtime.ErrInvalidSequence, "expected 1, got 0"},
		{"zero amount", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.SignTx(accs[0], testutil.TxOpts{}, send(accs[0].Addr.String(), accs[1].Addr.String(), fee(0)))
		}, runtime.ErrInvalidCoins, "positive"},
		{"negative amount", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return signRaw(accs[0], func(b *tx.TxBody) {
				b.Messages[0].Value = bytes.Replace(b.Messages[0].Value, []byte("987654321"), []byte("-87654321"), 1)
			}, 987654321)
		}, runtime.ErrTxDecode, "negative"},
		{"overflowing amount", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			big := strings.Repeat("9", 78) // > 2^256
			placeholder := strings.Repeat("1", 78)
			return signRaw(accs[0], func(b *tx.TxBody) {
				b.Messages[0].Value = bytes.Replace(b.Messages[0].Value, []byte(placeholder), []byte(big), 1)
			}, 0, placeholder)
		}, runtime.ErrTxDecode, "overflow"},
		{"invalid denom", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.SignTx(accs[0], testutil.TxOpts{}, send(accs[0].Addr.String(), accs[1].Addr.String(),
				types.Coins{types.NewCoin("u$elf", 5)}))
		}, runtime.ErrInvalidCoins, "invalid denom"},
		{"invalid recipient address", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.SignTx(accs[0], testutil.TxOpts{}, send(accs[0].Addr.String(), "self1notanaddress", fee(5)))
		}, runtime.ErrInvalidAddress, "to_address"},
		{"oversized memo", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{Memo: strings.Repeat("m", 300)})
		}, runtime.ErrMemoTooLarge, "at most 256"},
		{"oversized tx", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{Memo: strings.Repeat("m", tx.DefaultMaxTxBytes)})
		}, runtime.ErrTxTooLarge, "limit"},
		{"out of gas in the ante", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{Gas: 500, Fee: fee(9)})
		}, runtime.ErrOutOfGas, "gas wanted 500"},
		{"gas above max_tx_gas", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{Gas: auth.DefaultMaxTxGas + 1})
		}, runtime.ErrGasLimitTooHigh, "max_tx_gas of 100000000"},
		{"gas 2^64-1 with no fee", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{Gas: math.MaxUint64})
		}, runtime.ErrGasLimitTooHigh, "declares 18446744073709551615 gas"},
		{"fee larger than balance", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{Fee: fee(2_000_000)})
		}, runtime.ErrInsufficientFunds, ""},
		{"unfunded signer", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.Send(testutil.NewAccount(77), accs[1].Addr, 10, testutil.TxOpts{})
		}, runtime.ErrUnknownAddress, "must receive funds"},
		{"first tx without public key", func(ta *testutil.TestApp, accs []*testutil.Account) []byte {
			return testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{OmitPubKey: true})
		}, runtime.ErrInvalidPubKey, "first tx must include it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ta, accs := newApp(t, 2)
			bz := c.build(ta, accs)
			before := append([]byte(nil), ta.LastCommitID().Hash...)
			check := ta.CheckTx(bz)
			require.Equal(t, c.err.Code(), check.Code, "CheckTx log: %s", check.Log)
			require.Equal(t, c.err.Codespace(), check.Codespace)
			require.Contains(t, check.Log, c.log)

			res := ta.NextBlock(bz)
			require.Equal(t, c.err.Code(), res.TxResults[0].Code, "FinalizeBlock log: %s", res.TxResults[0].Log)
			require.GreaterOrEqual(t, res.TxResults[0].GasWanted, int64(0), "CometBFT's mempool refuses a negative gas_wanted")
			require.Equal(t, before, ta.LastCommitID().Hash, "state changed")
		})
	}
}

const measureGas = 1

// Failures after the ante still pay the fee; everything else rolls back.
func TestMessageFailuresPayOnlyTheFee(t *testing.T) {
	cases := []struct {
		name string
		msg  func(accs []*testutil.Account) *bank.MsgSend
		gas  uint64
		err  *runtime.Error
	}{
		{"insufficient funds", func(accs []*testutil.Account) *bank.MsgSend {
			return &bank.MsgSend{FromAddress: accs[0].Addr.String(), ToAddress: accs[1].Addr.String(), Amount: fee(9_999_999)}
		}, 0, runtime.ErrInsufficientFunds},
		{"unknown denom", func(accs []*testutil.Account) *bank.MsgSend {
			return &bank.MsgSend{FromAddress: accs[0].Addr.String(), ToAddress: accs[1].Addr.String(),
				Amount: types.Coins{types.NewCoin("ufoo", 1)}}
		}, 0, runtime.ErrUnknownDenom},
		{"out of gas in the message", func(accs []*testutil.Account) *bank.MsgSend {
			return &bank.MsgSend{FromAddress: accs[0].Addr.String(), ToAddress: accs[1].Addr.String(), Amount: fee(1)}
		}, measureGas, runtime.ErrOutOfGas},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gas := c.gas
			if gas == measureGas { // one unit less than the same tx uses on a twin chain
				twin, taccs := newApp(t, 2)
				r := twin.NextBlock(testutil.SignTx(taccs[0], testutil.TxOpts{Fee: fee(100)}, c.msg(taccs))).TxResults[0]
				require.Zero(t, r.Code, r.Log)
				gas = uint64(r.GasUsed) - 1
			}
			ta, accs := newApp(t, 2)
			res := ta.NextBlock(testutil.SignTx(accs[0], testutil.TxOpts{Fee: fee(100), Gas: gas}, c.msg(accs)))
			r := res.TxResults[0]
			require.Equal(t, c.err.Code(), r.Code, r.Log)
			require.Equal(t, "999900", ta.Balance(accs[0].Addr, testutil.Denom).String(), "only the fee is paid")
			require.Equal(t, "1000000", ta.Balance(accs[1].Addr, testutil.Denom).String())
			require.Equal(t, "100", ta.Balance(bank.FeeCollector, testutil.Denom).String())
		})
	}
}

// signRaw signs a MsgSend from acc after mutating its body (to build malformed txs
// that are still validly signed). amount/placeholder pick the encoded amount.
func signRaw(acc *testutil.Account, mutate func(*tx.TxBody), amountAndPlaceholder ...any) []byte {
	amt := types.NewInt(10)
	if len(amountAndPlaceholder) > 0 {
		if n, ok := amountAndPlaceholder[0].(int); ok && n > 0 {
			amt = types.NewInt(uint64(n))
		}
	}
	if len(amountAndPlaceholder) > 1 {
		amt, _ = types.ParseInt(amountAndPlaceholder[1].(string))
	}
	to := testutil.NewAccount(1).Addr.String()
	msg := &bank.MsgSend{FromAddress: acc.Addr.String(), ToAddress: to, Amount: types.Coins{{Denom: testutil.Denom, Amount: amt}}}
	value, _ := msg.Marshal()
	body := tx.TxBody{Messages: []*gogotypes.Any{{TypeUrl: "/selfchain.bank.v1.MsgSend", Value: value}}}
	mutate(&body)
	return testutil.SignBody(acc, body, testutil.TxOpts{})
}
