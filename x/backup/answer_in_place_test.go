package backup_test

import (
	"context"
	"encoding/binary"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/backup"
)

// waitChallenge runs blocks until agreement id has an open challenge.
func (e *env) waitChallenge(id uint64) backup.Challenge {
	e.t.Helper()
	for range 100 {
		if ch, open := e.challenge(id); open {
			return ch
		}
		e.next()
	}
	e.t.Fatalf("agreement %d was never challenged", id)
	return backup.Challenge{}
}

// storedChallenge reads agreement id's stored challenge, open or answered, from
// the raw store (the challenges query lists open ones only).
func (e *env) storedChallenge(id uint64) (backup.Challenge, bool) {
	e.t.Helper()
	res, err := e.ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/backup/key",
		Data: binary.BigEndian.AppendUint64([]byte{8}, id)})
	require.NoError(e.t, err)
	require.Zero(e.t, res.Code, res.Log)
	if len(res.Value) == 0 {
		return backup.Challenge{}, false
	}
	var ch backup.Challenge
	require.NoError(e.t, ch.Unmarshal(res.Value))
	return ch, true
}

// The block path of a proof answered in place, with the holder's counter
// written once in EndBlock: a tx whose proof passed but whose later message
// failed counts nothing; the same proof in a later tx of the block counts once;
// a proof answered and then cancelled by a new manifest in the same block
// counts once; a second proof of an answered challenge is ErrNoChallenge and
// changes nothing; the answered challenge's deadline is no miss; the next
// challenge height asks again. Replayed on two fresh apps, the same app hashes.
func TestAnswerInPlaceBlockPath(t *testing.T) {
	p := testParams()
	e := newEnv(t, p)
	d1, d2 := newDataset(t, 21, 30), newDataset(t, 22, 12)
	id1, id2 := e.activeAgreement(d1), e.activeAgreement(d2)
	ch1, ch2 := e.waitChallenge(id1), e.waitChallenge(id2)
	require.Equal(t, ch1.IssuedHeight, ch2.IssuedHeight, "one challenge height asks both")
	before := e.holderStats(e.holderNode)

	// One block: a failing tx carrying a good proof of 1, then the proofs of 1
	// and 2, then agreement 2's new manifest (cancelling its answered challenge).
	bad := d2.prove(t, e.holder, ch2) // well formed, for an agreement that does not exist: fails in execution
	bad.AgreementId = 999
	d3 := newDataset(t, 23, 7)
	res := e.next(
		testutil.SignTx(e.holder, testutil.TxOpts{Gas: 5_000_000}, d1.prove(t, e.holder, ch1), bad),
		testutil.SignTx(e.holder, testutil.TxOpts{Gas: 5_000_000}, d1.prove(t, e.holder, ch1), d2.prove(t, e.holder, ch2)),
		testutil.SignTx(e.owner, testutil.TxOpts{Gas: 5_000_000}, d3.commit(e.owner, id2, 2)),
	)
	require.Equal(t, backup.ErrAgreementNotFound.Code(), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Zero(t, res.TxResults[1].Code, res.TxResults[1].Log)
	require.Zero(t, res.TxResults[2].Code, res.TxResults[2].Log)
	st := e.holderStats(e.holderNode)
	require.Equal(t, before.ProofsAnswered+2, st.ProofsAnswered, "two proofs stood: one per agreement")
	require.Equal(t, before.ProofsMissed, st.ProofsMissed)
	for _, id := range []uint64{id1, id2} {
		_, open := e.challenge(id)
		require.False(t, open, "agreement %d: an answered challenge is not listed", id)
	}
	stored, ok := e.storedChallenge(id1)
	require.True(t, ok)
	require.Equal(t, e.ta.Height, stored.AnsweredHeight, "answered in place")
	_, ok = e.storedChallenge(id2)
	require.False(t, ok, "the new manifest removed agreement 2's answered challenge")

	// Proving the answered challenge again: ErrNoChallenge, nothing changes.
	root := e.backupRoot()
	e.fails(e.holder, backup.ErrNoChallenge, d1.prove(t, e.holder, ch1))
	require.Equal(t, root, e.backupRoot())
	require.Equal(t, st.ProofsAnswered, e.holderStats(e.holderNode).ProofsAnswered)

	// Past the old deadline: no miss. The next challenge height overwrites it.
	e.advanceTo(ch1.DeadlineHeight + 1)
	require.Equal(t, st.ProofsMissed, e.holderStats(e.holderNode).ProofsMissed, "an answered challenge's deadline is no miss")
	next := e.waitChallenge(id1)
	require.Greater(t, next.IssuedHeight, ch1.IssuedHeight)
	require.Zero(t, next.AnsweredHeight)
	e.ok(e.holder, d1.prove(t, e.holder, next))
	require.Equal(t, st.ProofsAnswered+1, e.holderStats(e.holderNode).ProofsAnswered)

	// The same blocks on two fresh apps: the same app hash at every height.
	for range 2 {
		fresh := testutil.NewTestApp(t, nil, testutil.Config(), e.genesis)
		for i, req := range e.reqs {
			res, err := fresh.FinalizeBlock(context.Background(), req)
			require.NoError(t, err)
			require.Equal(t, e.hashes[i], res.AppHash, "app hash at height %d", req.Height)
			_, err = fresh.Commit(context.Background(), &abci.RequestCommit{})
			require.NoError(t, err)
		}
		require.NoError(t, fresh.Close())
	}
}
