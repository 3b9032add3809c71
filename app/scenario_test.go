package app_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

func fee(n uint64) types.Coins { return types.Coins{types.NewCoin(testutil.Denom, n)} }

func newApp(t *testing.T, n int) (*testutil.TestApp, []*testutil.Account) {
	accs := make([]*testutil.Account, n)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	ta := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState(accs, 1_000_000))
	ta.NextBlock() // commit genesis so CheckTx and queries see it
	return ta, accs
}

func TestTransferMovesFundsAndPaysFee(t *testing.T) {
	ta, accs := newApp(t, 2)
	res := ta.NextBlock(testutil.Send(accs[0], accs[1].Addr, 1000, testutil.TxOpts{Fee: fee(50)}))
	require.Len(t, res.TxResults, 1)
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, "998950", ta.Balance(accs[0].Addr, testutil.Denom).String())
	require.Equal(t, "1001000", ta.Balance(accs[1].Addr, testutil.Denom).String())
	require.Equal(t, "50", ta.Balance(bank.FeeCollector, testutil.Denom).String())
	require.Positive(t, res.TxResults[0].GasUsed)

	// The second tx may omit the public key: the chain stored it with the first.
	res = ta.NextBlock(testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{Fee: fee(50), OmitPubKey: true}))
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, "998899", ta.Balance(accs[0].Addr, testutil.Denom).String())
}

func TestFailingTxRollsBackButPaysFee(t *testing.T) {
	ta, accs := newApp(t, 2)
	// Ask for more than the balance: the ante passes (fee, sequence), the send fails.
	res := ta.NextBlock(testutil.Send(accs[0], accs[1].Addr, 5_000_000, testutil.TxOpts{Fee: fee(70)}))
	require.Equal(t, runtime.ErrInsufficientFunds.Code(), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, runtime.RootCodespace, res.TxResults[0].Codespace)
	require.Equal(t, "999930", ta.Balance(accs[0].Addr, testutil.Denom).String())
	require.Equal(t, "1000000", ta.Balance(accs[1].Addr, testutil.Denom).String())
	require.Equal(t, "70", ta.Balance(bank.FeeCollector, testutil.Denom).String())

	// The failed tx used its sequence: the next one (sequence 1) succeeds.
	res = ta.NextBlock(testutil.Send(accs[0], accs[1].Addr, 10, testutil.TxOpts{Fee: fee(70)}))
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
}

func TestCheckTxRejectsFeeBelowNodeMinimum(t *testing.T) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	cfg := testutil.Config()
	cfg.MinGasPrices = "0.001uself"
	ta := testutil.NewTestApp(t, nil, cfg, testutil.GenesisAppState(accs, 1_000_000))
	ta.NextBlock()

	low := testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{Fee: fee(199), Gas: 200_000})
	res := ta.CheckTx(low)
	require.Equal(t, runtime.ErrInsufficientFee.Code(), res.Code, res.Log)
	require.Contains(t, res.Log, "need 200uself")

	accs[0].Seq-- // the rejected tx did not use the sequence
	ok := testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{Fee: fee(200), Gas: 200_000})
	res = ta.CheckTx(ok)
	require.Equal(t, uint32(0), res.Code, res.Log)
	// The mempool state advanced the sequence: a replay of the same tx is refused.
	res = ta.CheckTx(ok)
	require.Equal(t, runtime.ErrInvalidSequence.Code(), res.Code, res.Log)
	// A block proposer is not bound by this node's minimum: the low-fee tx still
	// executes in a block (the minimum is node-local, not consensus).
	accs[0].Seq = 0
	blk := ta.NextBlock(testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{Fee: fee(1)}))
	require.Equal(t, uint32(0), blk.TxResults[0].Code, blk.TxResults[0].Log)
}

func TestMultiSend(t *testing.T) {
	ta, accs := newApp(t, 3)
	msg := &bank.MsgMultiSend{
		Input: bank.Input{Address: accs[0].Addr.String(), Coins: fee(300)},
		Outputs: []bank.Output{
			{Address: accs[1].Addr.String(), Coins: fee(100)},
			{Address: accs[2].Addr.String(), Coins: fee(200)},
		},
	}
	res := ta.NextBlock(testutil.SignTx(accs[0], testutil.TxOpts{}, msg))
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, "999700", ta.Balance(accs[0].Addr, testutil.Denom).String())
	require.Equal(t, "1000100", ta.Balance(accs[1].Addr, testutil.Denom).String())
	require.Equal(t, "1000200", ta.Balance(accs[2].Addr, testutil.Denom).String())
}

func TestSendToNewAccountThenItSends(t *testing.T) {
	ta, accs := newApp(t, 1)
	fresh := testutil.NewAccount(99)
	res := ta.NextBlock(testutil.Send(accs[0], fresh.Addr, 5000, testutil.TxOpts{}))
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
	fresh.Num = 1 // the next account number after genesis' 0
	res = ta.NextBlock(testutil.Send(fresh, accs[0].Addr, 1000, testutil.TxOpts{}))
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, "4000", ta.Balance(fresh.Addr, testutil.Denom).String())
}

// stateHash is the app hash after committing an empty block: equal hashes mean equal state.
func stateHash(ta *testutil.TestApp) []byte { return ta.LastCommitID().Hash }

func TestAppHashStableAcrossEmptyBlocks(t *testing.T) {
	ta, _ := newApp(t, 1)
	h := bytes.Clone(stateHash(ta))
	ta.NextBlock()
	require.Equal(t, h, stateHash(ta))
}
