package backup_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/backup"
)

// busyChain runs three agreements through challenges for 80 blocks: one holder
// answers every challenge of agreement 1, none of agreement 2 (which fails),
// every other one of agreement 3; agreement 3 is given notice on the way.
func busyChain(t *testing.T) (*env, map[uint64]*dataset) {
	p := testParams()
	p.ChallengeInterval, p.ProofWindow = 3, 4
	e := newEnv(t, p)
	data := map[uint64]*dataset{}
	for i := range 3 {
		d := newDataset(t, int64(10+i), 5+7*i)
		id := e.activeAgreement(d)
		data[id] = d
	}
	e.ok(e.owner, &backup.MsgEnd{SignerAddr: e.owner.Addr.String(), AgreementId: 3})
	answered := map[uint64]int{}
	for e.ta.Height < 90 {
		var txs [][]byte
		for _, id := range []uint64{1, 3} {
			ch, open := e.challenge(id)
			if !open || (id == 3 && answered[id]%2 == 1 && ch.Containment == 0) {
				if open && id == 3 && ch.Containment == 0 {
					answered[id]++ // skip this one: it goes to containment
				}
				continue
			}
			if e.agreement(id).Status.IsServing() {
				txs = append(txs, testutil.SignTx(e.holder, testutil.TxOpts{Gas: 5_000_000}, data[id].prove(t, e.holder, ch)))
				answered[id]++
			}
		}
		res := e.next(txs...)
		for i, r := range res.TxResults {
			require.Zero(t, r.Code, "tx %d at %d: %s", i, e.ta.Height, r.Log)
		}
	}
	return e, data
}

// The same blocks, challenges and all, give the same app hash at every height
// on a fresh app: the challenges depend on the block hash and state alone.
func TestDeterminismWithChallenges(t *testing.T) {
	e, _ := busyChain(t)
	require.Equal(t, backup.STATUS_FAILED, e.agreement(2).Status, "agreement 2 never answered")
	require.Equal(t, backup.STATUS_ACTIVE, e.agreement(1).Status)
	st := e.holderStats(e.holderNode)
	require.NotZero(t, st.ProofsAnswered)
	require.NotZero(t, st.ProofsMissed)

	fresh := testutil.NewTestApp(t, nil, testutil.Config(), e.genesis)
	t.Cleanup(func() { _ = fresh.Close() })
	for i, req := range e.reqs {
		res, err := fresh.FinalizeBlock(context.Background(), req)
		require.NoError(t, err)
		require.Equal(t, e.hashes[i], res.AppHash, "app hash at height %d", req.Height)
		_, err = fresh.Commit(context.Background(), &abci.RequestCommit{})
		require.NoError(t, err)
	}
}
