package backup_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/backup"
	"github.com/selfchain/selfchain/x/registry"
)

// Every refused proposal gets its own code and changes nothing (fails checks
// the backup store's root and every balance).
func TestBadProposals(t *testing.T) {
	e := newEnv(t, testParams())
	mod := func(f func(m *backup.MsgPropose)) *backup.MsgPropose { m := e.propose(1 << 20); f(m); return m }

	e.fails(e.owner, backup.ErrHolderNotFound, mod(func(m *backup.MsgPropose) { m.HolderNodeId = "00112233445566778899aabbccddeeff00112233" }))
	e.fails(e.owner, backup.ErrNoCapability, mod(func(m *backup.MsgPropose) { m.HolderNodeId = e.otherNode }))
	e.fails(e.owner, backup.ErrOverCapacity, mod(func(m *backup.MsgPropose) { m.QuotaBytes = 1<<30 + 1 }))
	e.fails(e.owner, backup.ErrSelfAgreement, mod(func(m *backup.MsgPropose) { m.HolderNodeId = e.ownerNode }))
	e.fails(e.owner, backup.ErrInvalidTerms, mod(func(m *backup.MsgPropose) { m.NoticeEpochs = 1_000 }))
	e.fails(e.owner, backup.ErrInvalidTerms, mod(func(m *backup.MsgPropose) { m.Escrow = coin(99) }))
	e.fails(e.owner, backup.ErrInvalidTerms, mod(func(m *backup.MsgPropose) { m.QuotaBytes = 0 }))
	e.fails(e.owner, runtime.ErrInvalidRequest, mod(func(m *backup.MsgPropose) { m.HolderNodeId = "not a node" }))
	e.fails(e.owner, runtime.ErrInvalidCoins, mod(func(m *backup.MsgPropose) { m.PricePerEpoch = coin(0) }))
	e.fails(e.owner, runtime.ErrInsufficientFunds, mod(func(m *backup.MsgPropose) { m.Escrow = coin(1 << 62) }))
	e.fails(e.spare, runtime.ErrUnauthorized, e.propose(1<<20)) // signed by someone else than owner

	// Bounds: three open agreements per owner (testParams), four per holder.
	for range 3 {
		e.proposeID(e.propose(1 << 20))
	}
	e.fails(e.owner, backup.ErrTooManyAgreements, e.propose(1<<20))
	sp := e.propose(1 << 20)
	sp.Owner = e.spare.Addr.String()
	e.ok(e.spare, sp)
	sp2 := e.propose(1 << 20)
	sp2.Owner = e.spare.Addr.String()
	e.fails(e.spare, backup.ErrTooManyAgreements, sp2)
}

// Quota must fit the capacity its active agreements leave free.
func TestQuotaOverFreeCapacity(t *testing.T) {
	e := newEnv(t, testParams())
	id := e.proposeID(e.propose(600 << 20))
	id2 := e.proposeID(e.propose(600 << 20)) // fits while nothing is accepted
	e.ok(e.holder, &backup.MsgAccept{Holder: e.holder.Addr.String(), AgreementId: id, Collateral: coin(10_000)})
	e.fails(e.owner, backup.ErrOverCapacity, e.propose(600<<20))
	e.fails(e.holder, backup.ErrOverCapacity, &backup.MsgAccept{Holder: e.holder.Addr.String(), AgreementId: id2, Collateral: coin(10_000)})
}

// An accept by someone other than the node's owner, by a node that left the
// registry or stopped offering storage, or with too little collateral.
func TestBadAccepts(t *testing.T) {
	e := newEnv(t, testParams())
	id := e.proposeID(e.propose(1 << 20))
	accept := func(acc string, c uint64) *backup.MsgAccept {
		return &backup.MsgAccept{Holder: acc, AgreementId: id, Collateral: coin(c)}
	}
	e.fails(e.other, backup.ErrNotHolder, accept(e.other.Addr.String(), 10_000))
	e.fails(e.holder, backup.ErrCollateral, accept(e.holder.Addr.String(), 9_999))
	e.fails(e.holder, backup.ErrAgreementNotFound, &backup.MsgAccept{Holder: e.holder.Addr.String(), AgreementId: 99, Collateral: coin(10_000)})
	e.fails(e.holder, runtime.ErrInvalidRequest, &backup.MsgAccept{Holder: e.holder.Addr.String(), AgreementId: 0})

	// The node stops offering storage: it cannot accept.
	hm := testutil.RegisterNodeMsg(e.holder.Addr, "holder")
	e.ok(e.holder, &registry.MsgUpdateNode{Owner: e.holder.Addr.String(), NodeId: e.holderNode, Endpoints: hm.Endpoints,
		Capabilities: registry.Capabilities{Models: hm.Capabilities.Models}, Tier: hm.Tier, Region: hm.Region, Version: hm.Version})
	e.fails(e.holder, backup.ErrNoCapability, accept(e.holder.Addr.String(), 10_000))

	// The node leaves the registry: not registered.
	e.ok(e.holder, &registry.MsgDeregisterNode{Owner: e.holder.Addr.String(), NodeId: e.holderNode})
	e.fails(e.holder, backup.ErrHolderNotFound, accept(e.holder.Addr.String(), 10_000))
	// The owner can still cancel.
	e.ok(e.owner, &backup.MsgReject{SignerAddr: e.owner.Addr.String(), AgreementId: id})
}

// A node that stopped sending heartbeats (expired in x/registry) can be
// proposed to no longer.
func TestExpiredHolder(t *testing.T) {
	e := newEnvWith(t, testParams(), func(p *registry.Params) { p.StaleAfterBlocks, p.ExpireAfterBlocks = 2, 4 })
	e.advanceTo(e.ta.Height + 10)
	e.fails(e.owner, backup.ErrHolderExpired, e.propose(1<<20))
}

// Manifests: only the owner, only the next revision, within the quota, sane.
func TestBadManifests(t *testing.T) {
	e := newEnv(t, testParams())
	d := newDataset(t, 7, 8)
	id := e.proposeID(e.propose(1 << 20))
	e.fails(e.owner, backup.ErrWrongStatus, d.commit(e.owner, id, 1)) // not accepted yet
	e.ok(e.holder, &backup.MsgAccept{Holder: e.holder.Addr.String(), AgreementId: id, Collateral: coin(10_000)})

	e.fails(e.holder, backup.ErrNotOwner, d.commit(e.holder, id, 1))
	e.fails(e.owner, backup.ErrWrongRevision, d.commit(e.owner, id, 2))
	e.fails(e.owner, backup.ErrWrongRevision, d.commit(e.owner, id, 0))
	m := d.commit(e.owner, id, 1)
	m.TotalBytes = 1<<20 + 1
	e.fails(e.owner, backup.ErrOverQuota, m)
	m = d.commit(e.owner, id, 1)
	m.Root = m.Root[:31]
	e.fails(e.owner, backup.ErrInvalidManifest, m)
	m = d.commit(e.owner, id, 1)
	m.ChunkCount, m.TotalBytes = 10, 5
	e.fails(e.owner, backup.ErrInvalidManifest, m)
	m = d.commit(e.owner, id, 1)
	m.ChunkCount, m.TotalBytes = 1, backup.MaxChunkSize+1
	e.fails(e.owner, backup.ErrInvalidManifest, m)
	e.fails(e.owner, backup.ErrAgreementNotFound, d.commit(e.owner, 42, 1))
	e.ok(e.owner, d.commit(e.owner, id, 1))
}

// Proofs: for the wrong chunk, a wrong leaf, a tampered path or segment, by
// someone else, or with no open challenge.
func TestBadProofs(t *testing.T) {
	p := testParams()
	// every refusal below lands inside the window, before the next challenge height or payment
	p.ChallengeInterval, p.ProofWindow, p.EpochBlocks = 100, 50, 1_000
	e := newEnv(t, p)
	d := newDataset(t, 8, 16)
	id := e.activeAgreement(d)
	good := d.prove(t, e.holder, backup.Challenge{AgreementId: id, ChunkIndex: 3, Seed: make([]byte, 32)})
	e.fails(e.holder, backup.ErrNoChallenge, good)

	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	ch, open := e.challenge(id)
	require.True(t, open)
	good = d.prove(t, e.holder, ch)
	clone := func(f func(m *backup.MsgProveStorage)) *backup.MsgProveStorage {
		m := *good
		m.SegmentPath = append([][]byte{}, good.SegmentPath...)
		m.ManifestPath = append([][]byte{}, good.ManifestPath...)
		m.Segment = append([]byte{}, good.Segment...)
		m.ChunkLeaf = append([]byte{}, good.ChunkLeaf...)
		f(&m)
		return &m
	}
	flip := func(b []byte) []byte { b = append([]byte{}, b...); b[len(b)-1] ^= 1; return b }
	other := (ch.ChunkIndex + 1) % 16

	e.fails(e.holder, backup.ErrWrongChunk, clone(func(m *backup.MsgProveStorage) { m.ChunkIndex = other }))
	e.fails(e.holder, backup.ErrLeafNotInManifest, clone(func(m *backup.MsgProveStorage) { m.ChunkLeaf = d.leaves[other] }))
	e.fails(e.holder, backup.ErrLeafNotInManifest, clone(func(m *backup.MsgProveStorage) { m.ManifestPath[0] = flip(m.ManifestPath[0]) }))
	if len(good.SegmentPath) > 0 {
		e.fails(e.holder, backup.ErrSegmentNotInChunk, clone(func(m *backup.MsgProveStorage) { m.SegmentPath[0] = flip(m.SegmentPath[0]) }))
	}
	e.fails(e.holder, backup.ErrSegmentNotInChunk, clone(func(m *backup.MsgProveStorage) { m.Segment = flip(m.Segment) }))
	e.fails(e.holder, backup.ErrInvalidProof, clone(func(m *backup.MsgProveStorage) { m.ChunkLeaf = m.ChunkLeaf[:10] }))
	e.fails(e.holder, backup.ErrInvalidProof, clone(func(m *backup.MsgProveStorage) { m.ManifestPath = append(m.ManifestPath, []byte{1}) }))
	notHolder := clone(func(m *backup.MsgProveStorage) { m.Holder = e.other.Addr.String() })
	e.fails(e.other, backup.ErrNotHolder, notHolder)
	e.fails(e.holder, backup.ErrAgreementNotFound, clone(func(m *backup.MsgProveStorage) { m.AgreementId = 77 }))

	// The real proof still works (nothing above consumed the challenge).
	e.ok(e.holder, good)
	_, open = e.challenge(id)
	require.False(t, open, "answered")
}
