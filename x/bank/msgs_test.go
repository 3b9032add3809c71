package bank_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

func TestMsgSendValidateBasic(t *testing.T) {
	good := func() *bank.MsgSend {
		return &bank.MsgSend{FromAddress: alice.String(), ToAddress: bob.String(), Amount: testutil.ParseCoins(t, "5uatom,1uself")}
	}
	require.NoError(t, good().ValidateBasic())
	require.Equal(t, alice.String(), good().Signer())

	self := good()
	self.ToAddress = self.FromAddress
	require.NoError(t, self.ValidateBasic(), "sending to oneself is allowed")
	upper := good()
	upper.ToAddress = strings.ToUpper(upper.ToAddress)
	require.NoError(t, upper.ValidateBasic(), "bech32 accepts upper case")

	cases := []struct {
		name  string
		mut   func(*bank.MsgSend)
		is    error
		field string
	}{
		{"empty from", func(m *bank.MsgSend) { m.FromAddress = "" }, runtime.ErrInvalidAddress, "from_address: empty"},
		{"bad checksum", func(m *bank.MsgSend) { m.ToAddress = m.ToAddress[:len(m.ToAddress)-1] + "q" }, runtime.ErrInvalidAddress, "to_address:"},
		{"wrong prefix", func(m *bank.MsgSend) { m.ToAddress = "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu" }, runtime.ErrInvalidAddress, "to_address:"},
		{"empty amount", func(m *bank.MsgSend) { m.Amount = nil }, runtime.ErrInvalidCoins, "amount: empty"},
		{"zero amount", func(m *bank.MsgSend) { m.Amount = types.Coins{types.NewCoin("uself", 0)} }, runtime.ErrInvalidCoins, "amount: amount of uself must be positive"},
		{"bad denom", func(m *bank.MsgSend) { m.Amount = types.Coins{types.NewCoin("1x", 1)} }, runtime.ErrInvalidCoins, "amount: invalid denom"},
		{"unsorted", func(m *bank.MsgSend) { m.Amount = types.Coins{types.NewCoin("uself", 1), types.NewCoin("uatom", 1)} }, runtime.ErrInvalidCoins, "not sorted"},
		{"duplicate", func(m *bank.MsgSend) { m.Amount = types.Coins{types.NewCoin("uself", 1), types.NewCoin("uself", 1)} }, runtime.ErrInvalidCoins, "duplicate denom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.mut(m)
			err := m.ValidateBasic()
			require.ErrorIs(t, err, tc.is)
			require.Contains(t, err.Error(), tc.field)
		})
	}
}

func TestMsgMultiSendValidateBasic(t *testing.T) {
	good := func() *bank.MsgMultiSend {
		return &bank.MsgMultiSend{
			Input: bank.Input{Address: alice.String(), Coins: testutil.ParseCoins(t, "5uatom,30uself")},
			Outputs: []bank.Output{
				{Address: bob.String(), Coins: testutil.ParseCoins(t, "10uself")},
				{Address: carol.String(), Coins: testutil.ParseCoins(t, "5uatom,20uself")},
			},
		}
	}
	require.NoError(t, good().ValidateBasic())
	require.Equal(t, alice.String(), good().Signer())

	near := func(delta uint64) types.Int { v, _ := maxInt().Sub(types.NewInt(delta)); return v }
	cases := []struct {
		name string
		mut  func(*bank.MsgMultiSend)
		is   error
		msg  string
	}{
		{"bad input address", func(m *bank.MsgMultiSend) { m.Input.Address = "x" }, runtime.ErrInvalidAddress, "input.address"},
		{"empty input", func(m *bank.MsgMultiSend) { m.Input.Coins = nil }, runtime.ErrInvalidCoins, "input.coins: empty"},
		{"no outputs", func(m *bank.MsgMultiSend) { m.Outputs = nil }, runtime.ErrInvalidRequest, "at least one output"},
		{"bad output address", func(m *bank.MsgMultiSend) { m.Outputs[1].Address = "self1" }, runtime.ErrInvalidAddress, "outputs[1].address"},
		{"zero output", func(m *bank.MsgMultiSend) { m.Outputs[0].Coins = types.Coins{types.NewCoin("uself", 0)} }, runtime.ErrInvalidCoins, "outputs[0].coins"},
		{"empty output", func(m *bank.MsgMultiSend) { m.Outputs[0].Coins = nil }, runtime.ErrInvalidCoins, "outputs[0].coins: empty"},
		{"sum too small", func(m *bank.MsgMultiSend) { m.Outputs[0].Coins = testutil.ParseCoins(t, "9uself") }, bank.ErrInputOutputMismatch, "input.coins 5uatom,30uself, outputs sum to 5uatom,29uself"},
		{"sum too large", func(m *bank.MsgMultiSend) { m.Outputs[0].Coins = testutil.ParseCoins(t, "1uatom,10uself") }, bank.ErrInputOutputMismatch, ""},
		{"extra denom", func(m *bank.MsgMultiSend) { m.Outputs[0].Coins = testutil.ParseCoins(t, "1ufoo,10uself") }, bank.ErrInputOutputMismatch, ""},
		{"outputs overflow", func(m *bank.MsgMultiSend) {
			// Each output is valid; their sum passes 2^256 and must not wrap to match the input.
			m.Input.Coins = types.Coins{{Denom: "uself", Amount: near(0)}}
			m.Outputs[0].Coins = types.Coins{{Denom: "uself", Amount: near(0)}}
			m.Outputs[1].Coins = types.Coins{{Denom: "uself", Amount: types.NewInt(1)}}
		}, runtime.ErrInvalidCoins, "outputs: sum overflows at outputs[1]"},
		{"wraparound cannot match", func(m *bank.MsgMultiSend) {
			// (2^256-1) + 2 would wrap to 1 = the input, if unchecked.
			m.Input.Coins = types.Coins{{Denom: "uself", Amount: types.NewInt(1)}}
			m.Outputs[0].Coins = types.Coins{{Denom: "uself", Amount: near(0)}}
			m.Outputs[1].Coins = types.Coins{{Denom: "uself", Amount: types.NewInt(2)}}
		}, runtime.ErrInvalidCoins, "overflows"},
		{"too many outputs", func(m *bank.MsgMultiSend) {
			m.Input.Coins = types.Coins{types.NewCoin("uself", bank.MaxMultiSendOutputs+1)}
			m.Outputs = make([]bank.Output, bank.MaxMultiSendOutputs+1)
			for i := range m.Outputs {
				m.Outputs[i] = bank.Output{Address: bob.String(), Coins: testutil.ParseCoins(t, "1uself")}
			}
		}, bank.ErrTooManyOutputs, "257 outputs, at most 256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.mut(m)
			err := m.ValidateBasic()
			require.ErrorIs(t, err, tc.is)
			require.Contains(t, err.Error(), tc.msg)
		})
	}

	// Exactly the hard cap is allowed.
	m := good()
	m.Input.Coins = types.Coins{types.NewCoin("uself", bank.MaxMultiSendOutputs)}
	m.Outputs = make([]bank.Output, bank.MaxMultiSendOutputs)
	for i := range m.Outputs {
		m.Outputs[i] = bank.Output{Address: bob.String(), Coins: testutil.ParseCoins(t, "1uself")}
	}
	require.NoError(t, m.ValidateBasic())
}

// FuzzMsgSendValidateBasic: any bytes that decode as a MsgSend must validate without panicking.
func FuzzMsgSendValidateBasic(f *testing.F) {
	seed := &bank.MsgSend{FromAddress: alice.String(), ToAddress: bob.String(), Amount: types.Coins{types.NewCoin("uself", 5)}}
	bz, err := seed.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bz)
	f.Add([]byte{})
	f.Add([]byte{0x1a, 0x05, 0x0a, 0x03, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m bank.MsgSend
		if err := m.Unmarshal(data); err != nil {
			return
		}
		if err := m.ValidateBasic(); err == nil {
			// Whatever passes must be usable as the keeper expects.
			if len(m.Amount) == 0 || m.Amount.Validate() != nil {
				t.Fatalf("ValidateBasic accepted invalid amount %v", m.Amount)
			}
		}
		_ = m.Signer()
	})
}
