package app_test

import (
	"testing"
	"time"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/testutil"
)

// Rolling the app back one height and re-executing that block reaches the same
// app hash; the last block time (kept outside the merkle state) is the previous
// block's again; a rollback with nothing before it is refused.
func TestRollbackThenReexecute(t *testing.T) {
	db := dbm.NewMemDB()
	src, accs := exportChain(t, db, testutil.Config())
	src.NextBlock(testutil.Send(accs[0], accs[1].Addr, 77, testutil.TxOpts{Fee: fee(10)}))
	h, hash := src.Height, src.LastCommitID().Hash
	prev := src.Blocks[len(src.Blocks)-2]
	require.NoError(t, src.Close())

	id, err := app.Rollback(db, prev.Time)
	require.NoError(t, err)
	require.Equal(t, h-1, id.Version)
	require.Equal(t, prev.AppHash, id.Hash)

	a, err := app.New(nil, db, testutil.Config())
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.Equal(t, h-1, a.LastCommitID().Version)
	require.Equal(t, prev.Time, a.LastBlockTime())
	re := &testutil.TestApp{App: a, TB: t, DB: db, Height: h - 1, Time: prev.Time, Rules: testutil.NewCometBFTRules()}
	re.NextBlock(src.Blocks[len(src.Blocks)-1].Txs...)
	require.Equal(t, hash, re.LastCommitID().Hash, "block %d re-executed to the same app hash", h)
}

func TestRollbackRefusedWithNothingToRollBack(t *testing.T) {
	db := dbm.NewMemDB()
	a, err := app.New(nil, db, testutil.Config())
	require.NoError(t, err)
	require.NoError(t, a.Close())
	_, err = app.Rollback(db, time.Time{})
	require.ErrorIs(t, err, store.ErrNothingToRollback)
}
