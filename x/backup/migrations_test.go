package backup

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
)

// Migrate1to2 on a store in the version-1 layout (an agreement with an open
// challenge is not in challengeable; one without is): both end up in
// challengeable, the open challenge's bytes stay, and queries, a proof (answered
// in place), the block's holder counter and the next challenge height work.
func TestMigrate1to2(t *testing.T) {
	ch, m := cachedProof(t) // agreement 9, open, deadline 100
	k := NewKeeper(runtime.NewKVStoreService(ModuleName), nil, nil)
	hash := bytes.Repeat([]byte{3}, 32)
	ctx := runtime.NewContext(context.Background(), store.MemStores{}, runtime.Header{ChainID: "test-1", Height: 10, Hash: hash}, runtime.ModeFinalize, nil)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p := DefaultParams() // a challenge height every 10 blocks: 10 is one
	must(k.Params.Set(ctx, p))
	must(k.Seq.Set(ctx, 10))
	for _, id := range []uint64{9, 10} {
		must(k.Agreements.Set(ctx, id, Agreement{Id: id, Owner: ch.Holder, HolderNodeId: ch.HolderNodeId, Holder: ch.Holder,
			Status: STATUS_ACTIVE, Root: ch.Root, ChunkCount: ch.ChunkCount, Revision: 1, NextPaymentHeight: 1 << 30}))
	}
	// Version 1: the challenged agreement 9 left challengeable; 10 waits in it.
	must(k.Challenges.Set(ctx, 9, ch))
	must(k.Due.Set(ctx, dueAt(ch.DeadlineHeight, dueDeadline, 9)))
	must(k.Challengeable.Set(ctx, 10))
	must(k.HolderStats.Set(ctx, ch.HolderNodeId, HolderStats{OpenAgreements: 2, ProofsAnswered: 5}))
	oldBytes, err := ctx.KVStore(ModuleName).Get(append(challengesPrefix.Bytes(), 0, 0, 0, 0, 0, 0, 0, 9))
	must(err)

	mod := NewModule(k)
	out, err := runtime.NewManager(mod).RunMigrations(ctx, runtime.VersionMap{ModuleName: 1})
	must(err)
	if out[ModuleName] != 2 {
		t.Fatalf("migrated to %d", out[ModuleName])
	}
	must(k.Migrate1to2(ctx)) // idempotent
	for _, id := range []uint64{9, 10} {
		if has, err := k.Challengeable.Has(ctx, id); err != nil || !has {
			t.Fatalf("agreement %d not challengeable after the migration: %v", id, err)
		}
	}
	newBytes, err := ctx.KVStore(ModuleName).Get(append(challengesPrefix.Bytes(), 0, 0, 0, 0, 0, 0, 0, 9))
	must(err)
	if !bytes.Equal(oldBytes, newBytes) {
		t.Fatal("the open challenge's bytes changed")
	}

	q := NewQueryServer(k)
	res, err := q.Challenges(ctx, &QueryChallengesRequest{AgreementId: 9})
	must(err)
	if len(res.Challenges) != 1 || res.Challenges[0].ChunkIndex != ch.ChunkIndex {
		t.Fatalf("challenges of 9 after the migration: %v", res.Challenges)
	}

	// A block at height 10: the proof answers in place, EndBlock counts it
	// once and, at this challenge height, challenges both agreements anew.
	must(mod.BeginBlock(ctx))
	if _, err := NewMsgServer(k).ProveStorage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got, err := k.Challenges.Get(ctx, 9); err != nil || got.AnsweredHeight != 10 {
		t.Fatalf("not answered in place: %v %v", got, err)
	}
	res, err = q.Challenges(ctx, &QueryChallengesRequest{AgreementId: 9})
	must(err)
	if len(res.Challenges) != 0 {
		t.Fatalf("an answered challenge is listed: %v", res.Challenges)
	}
	if _, err := NewMsgServer(k).ProveStorage(ctx, m); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("a second proof: %v, want ErrNoChallenge", err)
	}
	_, err = mod.EndBlock(ctx)
	must(err)
	hr, err := q.Holder(ctx, &QueryHolderRequest{NodeId: ch.HolderNodeId})
	must(err)
	if hr.Stats.ProofsAnswered != 6 || hr.Stats.OpenAgreements != 2 {
		t.Fatalf("holder stats after the block: %+v", hr.Stats)
	}
	for _, id := range []uint64{9, 10} {
		got, err := k.Challenges.Get(ctx, id)
		if err != nil || got.IssuedHeight != 10 || got.AnsweredHeight != 0 || got.DeadlineHeight != 10+int64(p.ProofWindow) {
			t.Fatalf("agreement %d not challenged anew at height 10: %+v %v", id, got, err)
		}
	}
}
