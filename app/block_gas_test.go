package app_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
)

// newGasLimitedApp is a chain whose genesis sets block.max_gas, on db.
func newGasLimitedApp(t *testing.T, db dbm.DB, maxGas int64, accs []*testutil.Account) *app.App {
	a, err := app.New(nil, db, testutil.Config())
	require.NoError(t, err)
	_, err = a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testutil.ChainID, InitialHeight: 1,
		AppStateBytes:   testutil.GenesisAppState(accs, 1_000_000_000),
		ConsensusParams: &cmtproto.ConsensusParams{Block: &cmtproto.BlockParams{MaxBytes: app.DefaultBlockMaxBytes, MaxGas: maxGas}}})
	require.NoError(t, err)
	_, err = a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, ProposerAddress: make([]byte, 20)})
	require.NoError(t, err)
	_, err = a.Commit(context.Background(), &abci.RequestCommit{})
	require.NoError(t, err)
	return a
}

// block.max_gas is enforced: the proposer never exceeds it, a proposal over it is
// rejected, and CheckTx refuses a tx that could never fit a block — also after a restart.
func TestBlockGasLimit(t *testing.T) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	db := dbm.NewMemDB()
	a := newGasLimitedApp(t, db, 500_000, accs)
	ctx := context.Background()
	txs := make([][]byte, 5)
	for i := range txs {
		txs[i] = testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{Gas: 200_000})
	}

	prep, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 20, Height: 2})
	require.NoError(t, err)
	require.Len(t, prep.Txs, 2, "2 × 200,000 gas fit 500,000; a third would not")
	proc, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: prep.Txs, Height: 2})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status)
	proc, err = a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs[:3], Height: 2})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_REJECT, proc.Status, "600,000 gas over a 500,000 limit")

	big := testutil.Send(accs[1], accs[0].Addr, 1, testutil.TxOpts{Gas: 500_001})
	res, err := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: big})
	require.NoError(t, err)
	require.Equal(t, runtime.ErrBlockGasLimit.Code(), res.Code, res.Log)
	require.Contains(t, res.Log, "block.max_gas 500000")

	// The limit is the chain's, not the process's: a restarted app keeps it.
	require.NoError(t, a.Close())
	a, err = app.New(nil, db, testutil.Config())
	require.NoError(t, err)
	defer a.Close()
	res, err = a.CheckTx(ctx, &abci.RequestCheckTx{Tx: big})
	require.NoError(t, err)
	require.Equal(t, runtime.ErrBlockGasLimit.Code(), res.Code, res.Log)
	accs[1].Seq = 0 // the refused tx used no sequence
	exact := testutil.Send(accs[1], accs[0].Addr, 1, testutil.TxOpts{Gas: 500_000})
	res, err = a.CheckTx(ctx, &abci.RequestCheckTx{Tx: exact})
	require.NoError(t, err)
	require.Zero(t, res.Code, res.Log)
}

// Without block.max_gas (-1, CometBFT's default) nothing is limited.
func TestNoBlockGasLimit(t *testing.T) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	a := newGasLimitedApp(t, dbm.NewMemDB(), -1, accs)
	defer a.Close()
	txs := make([][]byte, 5)
	for i := range txs {
		txs[i] = testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{Gas: 20_000_000})
	}
	prep, err := a.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 20, Height: 2})
	require.NoError(t, err)
	require.Len(t, prep.Txs, 5)
}

// With the app mempool, PrepareProposal stops a block at block.max_gas (declared
// gas) and keeps each sender's order: what does not fit waits for the next block.
func TestAppMempoolBlockGasLimit(t *testing.T) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1), testutil.NewAccount(2)}
	a := newGasLimitedApp(t, dbm.NewMemDB(), 500_000, accs)
	defer a.Close()
	a.EnableAppMempool(app.MempoolLimits{})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		for s := 0; s < 2; s++ {
			res, err := a.InsertTx(ctx, &abci.RequestInsertTx{Tx: testutil.Send(accs[s], accs[2].Addr, 1, testutil.TxOpts{Gas: 200_000})})
			require.NoError(t, err)
			require.Zero(t, res.Code)
		}
	}
	for h := int64(2); h <= 4; h++ {
		prep, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{MaxTxBytes: 1 << 20, Height: h})
		require.NoError(t, err)
		require.Len(t, prep.Txs, 2, "2 × 200,000 gas fit 500,000; a third would not")
		proc, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: prep.Txs, Height: h})
		require.NoError(t, err)
		require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status)
		fin, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: h, Txs: prep.Txs, ProposerAddress: make([]byte, 20)})
		require.NoError(t, err)
		for _, r := range fin.TxResults {
			require.Zero(t, r.Code, r.Log)
		}
		_, err = a.Commit(ctx, &abci.RequestCommit{})
		require.NoError(t, err)
	}
	n, _ := a.MempoolSize()
	require.Zero(t, n)
}

// The app mempool's byte limit starts from the chain's block.max_bytes, recorded at
// InitChain and kept across restarts, so a node that has not proposed (an RPC
// node never does) admits two of the chain's blocks, not two default ones; -1
// (CometBFT's "largest block") counts as that block; a proposal refines it.
func TestAdmitLimitFollowsGenesisBlockSize(t *testing.T) {
	cfg := testutil.Config()
	cfg.Mempool.AheadBlocks = 2
	open := func(db dbm.DB, maxBytes int64) *app.App {
		a, err := app.New(nil, db, cfg)
		require.NoError(t, err)
		a.EnableAppMempool(app.MempoolLimits{})
		if maxBytes != 0 {
			_, err = a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testutil.ChainID, InitialHeight: 1,
				AppStateBytes:   testutil.GenesisAppState(nil, 0),
				ConsensusParams: &cmtproto.ConsensusParams{Block: &cmtproto.BlockParams{MaxBytes: maxBytes, MaxGas: -1}}})
			require.NoError(t, err)
		}
		return a
	}
	admitBytes := func(a *app.App) int64 { _, b := a.AdmitLimit(); return b }

	db := dbm.NewMemDB()
	a := open(db, 0)
	require.EqualValues(t, 2*app.DefaultBlockMaxBytes, admitBytes(a), "before InitChain: the default block")
	require.NoError(t, a.Close())
	a = open(db, 1<<20)
	require.EqualValues(t, 2<<20, admitBytes(a), "InitChain: the chain's block")
	require.NoError(t, a.Close())
	a = open(db, 0)
	require.EqualValues(t, 2<<20, admitBytes(a), "a restart keeps the chain's block")
	_, err := a.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: 1 << 19, Height: 1})
	require.NoError(t, err)
	require.EqualValues(t, 1<<20, admitBytes(a), "a proposal's own MaxTxBytes")
	require.NoError(t, a.Close())

	a = open(dbm.NewMemDB(), -1)
	defer a.Close()
	require.EqualValues(t, 2*cmttypes.MaxBlockSizeBytes, admitBytes(a), "-1: the largest block")
}
