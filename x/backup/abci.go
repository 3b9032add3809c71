package backup

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
)

// BeginBlock starts the block's list of answered challenges (holder_stats.go).
func (k Keeper) BeginBlock(ctx context.Context) error {
	k.answered.reset(runtime.Unwrap(ctx).BlockHeight())
	return nil
}

// EndBlock counts the block's answered proofs into the holders' counters, settles what falls due at this height — epoch payments, agreements
// whose notice ran out, challenges whose window closed (containment or
// failure), prunes of closed agreements — at most maxQueueWork entries (the rest
// wait a block), then issues new challenges at multiples of challenge_interval.
func (k Keeper) EndBlock(ctx context.Context) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	h := runtime.Unwrap(ctx).BlockHeight()
	// First, while every challenge answered in this block is still as its proof left it.
	if err := k.flushAnswered(ctx, h); err != nil {
		return err
	}
	due, err := k.dueUpTo(ctx, h)
	if err != nil {
		return err
	}
	for _, key := range due {
		if err := k.Due.Remove(ctx, key); err != nil {
			return err
		}
		id := key.K3()
		switch key.K2() {
		case duePayment:
			err = k.payment(ctx, p, id)
		case dueEnd:
			err = k.end(ctx, p, id)
		case dueDeadline:
			err = k.deadline(ctx, p, h, key.K1(), id)
		case duePrune:
			err = k.prune(ctx, id)
		}
		if err != nil {
			return err
		}
	}
	if p.ChallengesPerBlock > 0 && uint64(h)%p.ChallengeInterval == 0 {
		return k.issueChallenges(ctx, p, h)
	}
	return nil
}

// dueUpTo lists at most maxQueueWork due entries at heights ≤ h, earliest first.
func (k Keeper) dueUpTo(ctx context.Context, h int64) ([]dueKey, error) {
	it, err := k.Due.Iterate(ctx, new(collections.Range[dueKey]).EndExclusive(collections.Join3(h+1, uint64(0), uint64(0))))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []dueKey
	for ; it.Valid() && len(out) < maxQueueWork; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, nil
}

func (k Keeper) payment(ctx context.Context, p Params, id uint64) error {
	a, err := k.Agreements.Get(ctx, id)
	if err != nil {
		return err
	}
	closed, err := k.pay(ctx, &a, p)
	if err != nil || closed {
		return err
	}
	return k.Agreements.Set(ctx, a.Id, a)
}

func (k Keeper) end(ctx context.Context, p Params, id uint64) error {
	a, err := k.Agreements.Get(ctx, id)
	if err != nil {
		return err
	}
	// A last payment deferred by the per-block bound is made first.
	if a.NextPaymentHeight != 0 && a.NextPaymentHeight <= a.EndHeight {
		closed, err := k.pay(ctx, &a, p)
		if err != nil || closed {
			return err
		}
	}
	return k.close(ctx, a, STATUS_ENDED)
}

// deadline handles a challenge whose window closed unanswered: the holder is in
// containment (the same chunk and seed are asked again, Storj-style) until
// max_misses in a row fail the agreement. An entry whose challenge was answered
// or cancelled is stale and skipped.
func (k Keeper) deadline(ctx context.Context, p Params, h, dh int64, id uint64) error {
	ch, err := k.Challenges.Get(ctx, id)
	if errIsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ch.DeadlineHeight != dh || ch.AnsweredHeight != 0 {
		return nil
	}
	a, err := k.Agreements.Get(ctx, id)
	if err != nil {
		return err
	}
	st, err := k.holderStats(ctx, a.HolderNodeId)
	if err != nil {
		return err
	}
	st.ProofsMissed++
	if err := k.HolderStats.Set(ctx, a.HolderNodeId, st); err != nil {
		return err
	}
	ch.Containment++
	emit(ctx, EventTypeMiss, AttrAgreementID, idStr(id), AttrOwner, a.Owner, AttrNodeID, a.HolderNodeId,
		AttrChunkIndex, strconv.FormatUint(ch.ChunkIndex, 10), AttrContainment, strconv.FormatUint(uint64(ch.Containment), 10))
	if ch.Containment >= p.MaxMisses {
		return k.close(ctx, a, STATUS_FAILED) // also drops the challenge
	}
	ch.IssuedHeight, ch.DeadlineHeight = h, h+int64(p.ProofWindow)
	return k.openChallenge(ctx, a, ch)
}

func (k Keeper) openChallenge(ctx context.Context, a Agreement, ch Challenge) error {
	if err := k.Challenges.Set(ctx, ch.AgreementId, ch); err != nil {
		return err
	}
	if err := k.Due.Set(ctx, dueAt(ch.DeadlineHeight, dueDeadline, ch.AgreementId)); err != nil {
		return err
	}
	emit(ctx, EventTypeChallenge, AttrAgreementID, idStr(ch.AgreementId), AttrNodeID, a.HolderNodeId, AttrHolder, a.Holder,
		AttrChunkIndex, strconv.FormatUint(ch.ChunkIndex, 10), AttrSeed, hex.EncodeToString(ch.Seed),
		AttrDeadline, strconv.FormatInt(ch.DeadlineHeight, 10), AttrContainment, strconv.FormatUint(uint64(ch.Containment), 10))
	return nil
}

// ChallengeSeed is the randomness of the challenges issued at height h of a
// block with this hash: known to no one before the block is decided.
func ChallengeSeed(blockHash []byte, h int64) []byte {
	s := sha256.New()
	s.Write([]byte("selfchain/backup/challenge"))
	s.Write(blockHash)
	s.Write(binary.BigEndian.AppendUint64(nil, uint64(h)))
	return s.Sum(nil)
}

// issueChallenges picks up to challenges_per_block challengeable agreements
// without an open challenge, walking the id-ordered set from a point the block
// hash chooses (wrapping once) and looking at no more than challengeScan of
// them, and asks each for one chunk, chosen by a per-agreement seed. The new
// challenge overwrites the answered one in place.
func (k Keeper) issueChallenges(ctx context.Context, p Params, h int64) error {
	base := ChallengeSeed(runtime.Unwrap(ctx).Header().Hash, h)
	next, err := k.Seq.Peek(ctx)
	if err != nil {
		return err
	}
	start := binary.BigEndian.Uint64(base[:8]) % (next + 1)
	w := challengeWalk{limit: int(p.ChallengesPerBlock), budget: challengeScan(p.ChallengesPerBlock)}
	if err := k.walkChallengeable(ctx, new(collections.Range[uint64]).StartInclusive(start), &w); err != nil {
		return err
	}
	if start > 0 {
		if err := k.walkChallengeable(ctx, new(collections.Range[uint64]).EndExclusive(start), &w); err != nil {
			return err
		}
	}
	for _, id := range w.ids {
		a, err := k.Agreements.Get(ctx, id)
		if err != nil {
			return err
		}
		s := sha256.Sum256(binary.BigEndian.AppendUint64(append([]byte{}, base...), id))
		ch := Challenge{
			AgreementId: id, ChunkIndex: binary.BigEndian.Uint64(s[:8]) % a.ChunkCount, Seed: s[:],
			Revision: a.Revision, IssuedHeight: h, DeadlineHeight: h + int64(p.ProofWindow),
			Root: a.Root, ChunkCount: a.ChunkCount, Holder: a.Holder, HolderNodeId: a.HolderNodeId,
		}
		if err := k.openChallenge(ctx, a, ch); err != nil {
			return err
		}
	}
	return nil
}

// challengeScan bounds the challengeable agreements one challenge height looks
// at: four per challenge to issue. When most of them already have an open
// challenge the height issues fewer (the next one starts elsewhere).
func challengeScan(perBlock uint32) int { return 4 * int(perBlock) }

// challengeWalk is issueChallenges' progress over both halves of the walk.
type challengeWalk struct {
	limit, budget int
	ids           []uint64
}

func (w *challengeWalk) done() bool { return len(w.ids) >= w.limit || w.budget <= 0 }

// walkChallengeable adds to w the agreements of r without an open challenge.
func (k Keeper) walkChallengeable(ctx context.Context, r *collections.Range[uint64], w *challengeWalk) error {
	if w.done() {
		return nil
	}
	it, err := k.Challengeable.Iterate(ctx, r)
	if err != nil {
		return err
	}
	defer it.Close()
	for ; it.Valid() && !w.done(); it.Next() {
		id, err := it.Key()
		if err != nil {
			return err
		}
		w.budget--
		ch, err := k.Challenges.Get(ctx, id)
		switch {
		case errIsNotFound(err):
		case err != nil:
			return err
		case ch.AnsweredHeight == 0:
			continue // open: answered or missed first
		}
		w.ids = append(w.ids, id)
	}
	return nil
}
