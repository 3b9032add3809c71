package backup_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/backup"
)

// nextChallengeHeight is the first challenge height after h.
func nextChallengeHeight(p backup.Params, h int64) int64 {
	iv := int64(p.ChallengeInterval)
	return (h/iv + 1) * iv
}

// propose → accept → commit → challenge → prove, with escrow, collateral and
// reliability counters followed through real blocks.
func TestLifecycleProposeAcceptCommitProve(t *testing.T) {
	p := testParams()
	e := newEnv(t, p)
	d := newDataset(t, 1, 40)
	ownerBefore, holderBefore := e.balance(e.owner), e.balance(e.holder)

	id := e.proposeID(e.propose(1 << 20))
	require.Equal(t, uint64(1), id)
	a := e.agreement(id)
	require.Equal(t, backup.STATUS_PROPOSED, a.Status)
	require.Equal(t, ownerBefore-1_000, e.balance(e.owner), "the escrow left the owner")
	require.Equal(t, uint64(1_000), e.ta.Balance(backup.Escrow, denom).Uint64())

	e.ok(e.holder, &backup.MsgAccept{Holder: e.holder.Addr.String(), AgreementId: id, Collateral: coin(10_000)})
	a = e.agreement(id)
	require.Equal(t, backup.STATUS_ACTIVE, a.Status)
	require.Equal(t, e.holder.Addr.String(), a.Holder)
	require.Equal(t, holderBefore-10_000, e.balance(e.holder))
	require.Equal(t, uint64(1<<20), e.holderStats(e.holderNode).UsedBytes)

	e.ok(e.owner, d.commit(e.owner, id, 1))
	a = e.agreement(id)
	require.Equal(t, uint64(1), a.Revision)
	require.Equal(t, uint64(40), a.ChunkCount)

	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	ch, open := e.challenge(id)
	require.True(t, open, "a challenge height challenges the only challengeable agreement")
	require.Equal(t, e.ta.Height+int64(p.ProofWindow), ch.DeadlineHeight)
	require.Less(t, ch.ChunkIndex, uint64(40))

	e.ok(e.holder, d.prove(t, e.holder, ch))
	_, open = e.challenge(id)
	require.False(t, open, "a correct proof closes the challenge")
	st := e.holderStats(e.holderNode)
	require.Equal(t, uint64(1), st.ProofsAnswered)
	require.Zero(t, st.ProofsMissed)

	// The next challenge height asks again (a fresh seed), answered again.
	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	ch2, open := e.challenge(id)
	require.True(t, open)
	require.NotEqual(t, ch.Seed, ch2.Seed)
	e.ok(e.holder, d.prove(t, e.holder, ch2))
	require.Equal(t, uint64(2), e.holderStats(e.holderNode).ProofsAnswered)

	// A new revision cancels an open challenge against the old root.
	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	_, open = e.challenge(id)
	require.True(t, open)
	d2 := newDataset(t, 2, 10)
	e.ok(e.owner, d2.commit(e.owner, id, 2))
	_, open = e.challenge(id)
	require.False(t, open, "the commit cancelled the challenge against revision 1")
	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	ch3, open := e.challenge(id)
	require.True(t, open)
	require.Equal(t, uint64(2), ch3.Revision)
	e.ok(e.holder, d2.prove(t, e.holder, ch3))
}

// A holder that lost the data misses: containment asks the same chunk and seed
// again; after max_misses in a row the agreement fails, slash_fraction of the
// collateral goes to the owner, the rest back to the holder, the escrow
// remainder back to the owner, and events tell the owner.
func TestMissContainmentSlashFailed(t *testing.T) {
	p := testParams()
	e := newEnv(t, p)
	d := newDataset(t, 3, 16)
	id := e.activeAgreement(d)
	ownerBefore, holderBefore := e.balance(e.owner), e.balance(e.holder)

	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	first, open := e.challenge(id)
	require.True(t, open)

	var closedEvents []string
	for miss := uint32(1); miss <= p.MaxMisses; miss++ {
		var res = e.next()
		for e.ta.Height < first.IssuedHeight+int64(miss)*int64(p.ProofWindow) {
			res = e.next()
		}
		require.Contains(t, eventAttrs(res.Events, backup.EventTypeMiss, backup.AttrContainment), itoa(uint64(miss)))
		if miss < p.MaxMisses {
			ch, open := e.challenge(id)
			require.True(t, open, "containment keeps the challenge open")
			require.Equal(t, first.ChunkIndex, ch.ChunkIndex, "containment asks the same chunk")
			require.Equal(t, first.Seed, ch.Seed, "containment asks the same seed")
			require.Equal(t, miss, ch.Containment)
			require.Equal(t, backup.STATUS_ACTIVE, e.agreement(id).Status)
		} else {
			closedEvents = eventAttrs(res.Events, backup.EventTypeClosed, backup.AttrStatus)
		}
	}
	require.Equal(t, []string{backup.STATUS_FAILED.String()}, closedEvents, "the owner is told")
	a := e.agreement(id)
	require.Equal(t, backup.STATUS_FAILED, a.Status)
	require.Equal(t, coin(2_500), a.Slashed, "25%% of 10,000")
	require.Equal(t, ownerBefore+1_000+2_500, e.balance(e.owner), "escrow refunded and the slash paid to the owner")
	require.Equal(t, holderBefore+7_500, e.balance(e.holder), "the rest of the collateral back")
	require.Zero(t, e.ta.Balance(backup.Escrow, denom).Uint64())
	st := e.holderStats(e.holderNode)
	require.Equal(t, uint64(p.MaxMisses), st.ProofsMissed)
	require.Equal(t, uint64(1), st.Slashed)
	require.Zero(t, st.OpenAgreements)
	require.Zero(t, st.UsedBytes)
	_, open = e.challenge(id)
	require.False(t, open)

	// A proof now came after the window: its own code, nothing changes.
	e.fails(e.holder, backup.ErrProofTooLate, d.prove(t, e.holder, first))
}

// A correct proof during containment resets the count: two misses, a proof,
// then two more misses do not fail an agreement with max_misses 3.
func TestProofResetsContainment(t *testing.T) {
	p := testParams()
	e := newEnv(t, p)
	d := newDataset(t, 4, 8)
	id := e.activeAgreement(d)
	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	ch, _ := e.challenge(id)
	e.advanceTo(ch.IssuedHeight + 2*int64(p.ProofWindow)) // two misses
	ch, open := e.challenge(id)
	require.True(t, open)
	require.Equal(t, uint32(2), ch.Containment)
	e.ok(e.holder, d.prove(t, e.holder, ch))
	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	ch, _ = e.challenge(id)
	require.Zero(t, ch.Containment, "a fresh challenge after a proof starts at zero")
	e.advanceTo(ch.IssuedHeight + 2*int64(p.ProofWindow))
	require.Equal(t, backup.STATUS_ACTIVE, e.agreement(id).Status)
	st := e.holderStats(e.holderNode)
	require.Equal(t, uint64(4), st.ProofsMissed)
	require.Equal(t, uint64(1), st.ProofsAnswered)
}

// MsgEnd gives notice: payments continue each epoch until the end, which
// returns the collateral and the escrow remainder.
func TestEndWithNoticeAndPayments(t *testing.T) {
	p := testParams()
	p.ChallengesPerBlock = 0 // payments only
	e := newEnv(t, p)
	d := newDataset(t, 5, 4)
	id := e.activeAgreement(d)
	a := e.agreement(id)
	ownerBefore, holderBefore := e.balance(e.owner), e.balance(e.holder)

	e.advanceTo(a.NextPaymentHeight)
	a = e.agreement(id)
	require.Equal(t, coin(100), a.Paid)
	require.Equal(t, coin(900), a.Escrow)
	require.Equal(t, holderBefore+100, e.balance(e.holder))

	e.fails(e.other, backup.ErrNotParty, &backup.MsgEnd{SignerAddr: e.other.Addr.String(), AgreementId: id})
	r := e.ok(e.owner, &backup.MsgEnd{SignerAddr: e.owner.Addr.String(), AgreementId: id})
	a = e.agreement(id)
	require.Equal(t, backup.STATUS_ENDING, a.Status)
	require.Equal(t, a.NextPaymentHeight+int64(p.EpochBlocks), a.EndHeight, "two epochs of notice: this one and the next")
	require.Equal(t, []string{itoa(uint64(a.EndHeight))}, eventAttrs(r.Events, backup.EventTypeEnding, backup.AttrEndHeight))
	e.fails(e.holder, backup.ErrWrongStatus, &backup.MsgEnd{SignerAddr: e.holder.Addr.String(), AgreementId: id})

	e.advanceTo(a.EndHeight)
	a = e.agreement(id)
	require.Equal(t, backup.STATUS_ENDED, a.Status)
	require.Equal(t, coin(300), a.Paid, "three epochs served")
	require.Equal(t, ownerBefore+700, e.balance(e.owner), "the escrow remainder back")
	require.Equal(t, holderBefore+300+10_000, e.balance(e.holder), "payments and the collateral")
	require.Zero(t, e.ta.Balance(backup.Escrow, denom).Uint64())
	st := e.holderStats(e.holderNode)
	require.Zero(t, st.OpenAgreements)
	require.Zero(t, st.UsedBytes)

	// Pruned retain_blocks later.
	e.advanceTo(a.EndHeight + int64(p.RetainBlocks))
	_, err := e.q().Agreement(t.Context(), &backup.QueryAgreementRequest{Id: id})
	require.ErrorContains(t, err, "no agreement")
}

// An escrow that runs out ends the agreement cleanly: the holder did nothing wrong.
func TestEscrowRunsOut(t *testing.T) {
	p := testParams()
	p.ChallengesPerBlock = 0
	e := newEnv(t, p)
	m := e.propose(1 << 20)
	m.Escrow = coin(250) // two and a half epochs
	id := e.proposeID(m)
	holderBefore := e.balance(e.holder)
	e.ok(e.holder, &backup.MsgAccept{Holder: e.holder.Addr.String(), AgreementId: id, Collateral: coin(10_000)})
	a := e.agreement(id)
	e.advanceTo(a.NextPaymentHeight + 2*int64(p.EpochBlocks))
	a = e.agreement(id)
	require.Equal(t, backup.STATUS_ENDED, a.Status)
	require.Equal(t, coin(250), a.Paid)
	require.Equal(t, holderBefore+250, e.balance(e.holder), "paid and collateral back")
}

// Reject (holder) and cancel (owner) refund the escrow.
func TestRejectAndCancelRefund(t *testing.T) {
	e := newEnv(t, testParams())
	before := e.balance(e.owner)
	id1 := e.proposeID(e.propose(1 << 20))
	id2 := e.proposeID(e.propose(1 << 20))
	e.fails(e.other, backup.ErrNotParty, &backup.MsgReject{SignerAddr: e.other.Addr.String(), AgreementId: id1})
	e.ok(e.holder, &backup.MsgReject{SignerAddr: e.holder.Addr.String(), AgreementId: id1})
	e.ok(e.owner, &backup.MsgReject{SignerAddr: e.owner.Addr.String(), AgreementId: id2})
	require.Equal(t, before, e.balance(e.owner))
	require.Equal(t, backup.STATUS_REJECTED, e.agreement(id1).Status)
	require.Equal(t, backup.STATUS_REJECTED, e.agreement(id2).Status)
	require.Zero(t, e.holderStats(e.holderNode).OpenAgreements)
	e.fails(e.holder, backup.ErrWrongStatus, &backup.MsgAccept{Holder: e.holder.Addr.String(), AgreementId: id1, Collateral: coin(10_000)})
	res, err := e.q().Agreements(t.Context(), &backup.QueryAgreementsRequest{Owner: e.owner.Addr.String()})
	require.NoError(t, err)
	require.Len(t, res.Agreements, 2)
}
