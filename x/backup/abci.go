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

// EndBlock settles what falls due at this height, each step bounded by
// maxQueueWork entries (the rest wait a block): epoch payments, agreements whose
// notice ran out, challenges whose window closed (containment or failure), then
// new challenges (at multiples of challenge_interval) and pruning.
func (k Keeper) EndBlock(ctx context.Context) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	h := runtime.Unwrap(ctx).BlockHeight()
	if err := k.payments(ctx, p, h); err != nil {
		return err
	}
	if err := k.ends(ctx, p, h); err != nil {
		return err
	}
	if err := k.deadlines(ctx, p, h); err != nil {
		return err
	}
	if p.ChallengesPerBlock > 0 && uint64(h)%p.ChallengeInterval == 0 {
		if err := k.issueChallenges(ctx, p, h); err != nil {
			return err
		}
	}
	due, err := dueUpTo(ctx, k.Prunes, h)
	if err != nil {
		return err
	}
	for _, key := range due {
		if err := k.Prunes.Remove(ctx, key); err != nil {
			return err
		}
		if err := k.prune(ctx, key.K2()); err != nil {
			return err
		}
	}
	return nil
}

// dueUpTo lists at most maxQueueWork entries of a queue at heights ≤ h, earliest first.
func dueUpTo(ctx context.Context, q collections.KeySet[heightKey], h int64) ([]heightKey, error) {
	it, err := q.Iterate(ctx, new(collections.Range[heightKey]).EndInclusive(collections.Join(h, ^uint64(0))))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []heightKey
	for ; it.Valid() && len(out) < maxQueueWork; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, nil
}

func (k Keeper) payments(ctx context.Context, p Params, h int64) error {
	due, err := dueUpTo(ctx, k.Payments, h)
	if err != nil {
		return err
	}
	for _, key := range due {
		a, err := k.Agreements.Get(ctx, key.K2())
		if err != nil {
			return err
		}
		closed, err := k.pay(ctx, &a, p)
		if err != nil {
			return err
		}
		if !closed {
			if err := k.Agreements.Set(ctx, a.Id, a); err != nil {
				return err
			}
		}
	}
	return nil
}

func (k Keeper) ends(ctx context.Context, p Params, h int64) error {
	due, err := dueUpTo(ctx, k.Ends, h)
	if err != nil {
		return err
	}
	for _, key := range due {
		a, err := k.Agreements.Get(ctx, key.K2())
		if err != nil {
			return err
		}
		// A last payment the payment step deferred is made first.
		if a.NextPaymentHeight != 0 && a.NextPaymentHeight <= a.EndHeight {
			closed, err := k.pay(ctx, &a, p)
			if err != nil {
				return err
			}
			if closed {
				continue
			}
		}
		if err := k.close(ctx, a, STATUS_ENDED); err != nil {
			return err
		}
	}
	return nil
}

// deadlines handles challenges whose window closed unanswered: the holder is in
// containment (the same chunk and seed are asked again, Storj-style) until
// max_misses in a row fail the agreement.
func (k Keeper) deadlines(ctx context.Context, p Params, h int64) error {
	due, err := dueUpTo(ctx, k.Deadlines, h)
	if err != nil {
		return err
	}
	for _, key := range due {
		id := key.K2()
		ch, err := k.Challenges.Get(ctx, id)
		if err != nil {
			return err
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
			if err := k.close(ctx, a, STATUS_FAILED); err != nil { // also drops the challenge
				return err
			}
			continue
		}
		if err := k.Deadlines.Remove(ctx, key); err != nil {
			return err
		}
		ch.IssuedHeight, ch.DeadlineHeight = h, h+int64(p.ProofWindow)
		if err := k.openChallenge(ctx, a, ch); err != nil {
			return err
		}
	}
	return nil
}

func (k Keeper) openChallenge(ctx context.Context, a Agreement, ch Challenge) error {
	if err := k.Challenges.Set(ctx, ch.AgreementId, ch); err != nil {
		return err
	}
	if err := k.Deadlines.Set(ctx, collections.Join(ch.DeadlineHeight, ch.AgreementId)); err != nil {
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

// issueChallenges picks up to challenges_per_block challengeable agreements,
// walking the id-ordered set from a point the block hash chooses (wrapping
// once), and asks each for one chunk, chosen by a per-agreement seed.
func (k Keeper) issueChallenges(ctx context.Context, p Params, h int64) error {
	base := ChallengeSeed(runtime.Unwrap(ctx).Header().Hash, h)
	next, err := k.Seq.Peek(ctx)
	if err != nil {
		return err
	}
	start := binary.BigEndian.Uint64(base[:8]) % (next + 1)
	limit := int(p.ChallengesPerBlock)
	ids, err := k.walkChallengeable(ctx, new(collections.Range[uint64]).StartInclusive(start), limit)
	if err != nil {
		return err
	}
	if len(ids) < limit && start > 0 {
		more, err := k.walkChallengeable(ctx, new(collections.Range[uint64]).EndExclusive(start), limit-len(ids))
		if err != nil {
			return err
		}
		ids = append(ids, more...)
	}
	for _, id := range ids {
		a, err := k.Agreements.Get(ctx, id)
		if err != nil {
			return err
		}
		s := sha256.Sum256(binary.BigEndian.AppendUint64(append([]byte{}, base...), id))
		ch := Challenge{
			AgreementId: id, ChunkIndex: binary.BigEndian.Uint64(s[:8]) % a.ChunkCount, Seed: s[:],
			Revision: a.Revision, IssuedHeight: h, DeadlineHeight: h + int64(p.ProofWindow),
		}
		if err := k.Challengeable.Remove(ctx, id); err != nil {
			return err
		}
		if err := k.openChallenge(ctx, a, ch); err != nil {
			return err
		}
	}
	return nil
}

func (k Keeper) walkChallengeable(ctx context.Context, r *collections.Range[uint64], limit int) ([]uint64, error) {
	it, err := k.Challengeable.Iterate(ctx, r)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []uint64
	for ; it.Valid() && len(out) < limit; it.Next() {
		id, err := it.Key()
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}
