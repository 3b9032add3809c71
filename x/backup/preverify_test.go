package backup_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
)

// On a node, a storage proof is checked once: on admission (CheckTx) when it
// came through this node's mempool, and the block's execution reuses that
// check; else when the block executes it. The block's results are those of a
// node that never saw the txs (TestDeterminismWithChallenges replays blocks on
// a fresh app, which fills nothing through CheckTx).
func TestProofCheckedOncePerNode(t *testing.T) {
	p := testParams()
	e := newEnv(t, p)
	data := map[uint64]*dataset{}
	for i := range 3 {
		d := newDataset(t, int64(20+i), 9)
		data[e.activeAgreement(d)] = d
	}
	k := e.ta.BackupKeeper

	// Admitted through CheckTx: checked there, not again in the block.
	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	ch, open := e.challenge(1)
	require.True(t, open)
	tx := testutil.SignTx(e.holder, testutil.TxOpts{Gas: 5_000_000}, data[1].prove(t, e.holder, ch))
	before := k.ProofChecks()
	require.Zero(t, e.ta.CheckTx(tx).Code)
	require.Equal(t, before+1, k.ProofChecks(), "CheckTx checks the proof")
	res := e.next(tx)
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, before+1, k.ProofChecks(), "the block checked an admitted proof again")

	// Not seen before: execution checks them, once each.
	var txs [][]byte
	for _, id := range []uint64{2, 3} {
		ch, open := e.challenge(id)
		require.True(t, open)
		txs = append(txs, testutil.SignTx(e.holder, testutil.TxOpts{Gas: 5_000_000}, data[id].prove(t, e.holder, ch)))
	}
	before = k.ProofChecks()
	res = e.next(txs...)
	for i, r := range res.TxResults {
		require.Zero(t, r.Code, "tx %d: %s", i, r.Log)
	}
	require.Equal(t, before+2, k.ProofChecks(), "two proofs, checked once each")
	require.Equal(t, uint64(3), e.holderStats(e.holderNode).ProofsAnswered)
}
