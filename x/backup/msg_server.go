package backup

import (
	"context"
	"encoding/hex"
	"strconv"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

// msgServer handles x/backup's messages; every route to it ran ValidateBasic first.
// A rejected message's writes are discarded with its branch: it changes nothing.
type msgServer struct{ k Keeper }

var _ MsgServer = msgServer{}

func NewMsgServer(k Keeper) MsgServer { return msgServer{k: k} }

func emit(ctx context.Context, typ string, kv ...string) {
	runtime.Unwrap(ctx).EventManager().Emit(typ, kv...)
}

func idStr(id uint64) string { return strconv.FormatUint(id, 10) }

// holderNode returns the holder node if it can hold quota more bytes: registered,
// not expired, advertising backup capacity with room for quota.
func (k Keeper) holderNode(ctx context.Context, nodeID string, quota uint64) (registry.Node, HolderStats, error) {
	e, found, err := k.registry.GetNode(ctx, nodeID)
	if err != nil {
		return registry.Node{}, HolderStats{}, err
	}
	if !found {
		return registry.Node{}, HolderStats{}, ErrHolderNotFound.Wrapf("node %s is not in x/registry (query registry nodes lists them)", nodeID)
	}
	if e.Liveness.Status == registry.STATUS_EXPIRED {
		return registry.Node{}, HolderStats{}, ErrHolderExpired.Wrapf("node %s has sent no heartbeat for too long; choose a live holder", nodeID)
	}
	capacity := e.Node.Capabilities.StorageBytes
	if capacity == 0 {
		return registry.Node{}, HolderStats{}, ErrNoCapability.Wrapf("node %s advertises no storage (its operator sets it with selfchaind tx registry register-node or update-node --storage-bytes)", nodeID)
	}
	st, err := k.holderStats(ctx, nodeID)
	if err != nil {
		return registry.Node{}, HolderStats{}, err
	}
	if quota > capacity {
		return registry.Node{}, HolderStats{}, ErrOverCapacity.Wrapf("quota %d bytes is over node %s's advertised capacity of %d bytes", quota, nodeID, capacity)
	}
	if free := capacity - min(capacity, st.UsedBytes); quota > free {
		return registry.Node{}, HolderStats{}, ErrOverCapacity.Wrapf("quota %d bytes is over node %s's free capacity of %d bytes (%d of %d already held)", quota, nodeID, free, st.UsedBytes, capacity)
	}
	return e.Node, st, nil
}

func (s msgServer) Propose(ctx context.Context, m *MsgPropose) (*MsgProposeResponse, error) {
	k := s.k
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	owner, _ := crypto.AddressFromBech32(m.Owner) // ValidateBasic checked it
	if m.NoticeEpochs > p.MaxNoticeEpochs {
		return nil, ErrInvalidTerms.Wrapf("notice_epochs %d is over max_notice_epochs %d", m.NoticeEpochs, p.MaxNoticeEpochs)
	}
	node, st, err := k.holderNode(ctx, m.HolderNodeId, m.QuotaBytes)
	if err != nil {
		return nil, err
	}
	if node.Owner == m.Owner {
		return nil, ErrSelfAgreement.Wrapf("%s owns node %s: a backup on one's own node protects nothing; choose another holder", m.Owner, m.HolderNodeId)
	}
	open, err := k.ownerOpen(ctx, owner)
	if err != nil {
		return nil, err
	}
	if open >= uint64(p.MaxAgreementsPerOwner) {
		return nil, ErrTooManyAgreements.Wrapf("%s has %d open agreements, the most allowed (params.max_agreements_per_owner); end or cancel one first", m.Owner, open)
	}
	if st.OpenAgreements >= p.MaxAgreementsPerHolder {
		return nil, ErrTooManyAgreements.Wrapf("node %s has %d open agreements, the most allowed (params.max_agreements_per_holder)", m.HolderNodeId, st.OpenAgreements)
	}
	if err := k.bank.SendCoins(ctx, owner, Escrow, types.Coins{m.Escrow}); err != nil {
		return nil, err
	}
	n, err := k.Seq.Next(ctx)
	if err != nil {
		return nil, err
	}
	id := n + 1 // ids start at 1
	h := runtime.Unwrap(ctx).BlockHeight()
	a := Agreement{
		Id: id, Owner: m.Owner, HolderNodeId: m.HolderNodeId, QuotaBytes: m.QuotaBytes,
		PricePerEpoch: m.PricePerEpoch, Escrow: m.Escrow, Collateral: m.Collateral, NoticeEpochs: m.NoticeEpochs,
		Status: STATUS_PROPOSED, ProposedHeight: h,
		Paid: types.NewCoin(m.PricePerEpoch.Denom, 0), Slashed: types.NewCoin(m.PricePerEpoch.Denom, 0),
	}
	if a.Collateral.Denom == "" {
		a.Collateral = types.NewCoin(m.PricePerEpoch.Denom, 0)
	}
	if err := k.Agreements.Set(ctx, id, a); err != nil {
		return nil, err
	}
	if err := k.ByOwner.Set(ctx, collections.Join([]byte(owner), id)); err != nil {
		return nil, err
	}
	if err := k.ByHolder.Set(ctx, collections.Join(m.HolderNodeId, id)); err != nil {
		return nil, err
	}
	if err := k.setOwnerOpen(ctx, owner, open+1); err != nil {
		return nil, err
	}
	st.OpenAgreements++
	if err := k.HolderStats.Set(ctx, m.HolderNodeId, st); err != nil {
		return nil, err
	}
	emit(ctx, EventTypePropose, AttrAgreementID, idStr(id), AttrOwner, m.Owner, AttrNodeID, m.HolderNodeId)
	return &MsgProposeResponse{AgreementId: id}, nil
}

func (s msgServer) Accept(ctx context.Context, m *MsgAccept) (*MsgAcceptResponse, error) {
	k := s.k
	a, err := k.agreement(ctx, m.AgreementId)
	if err != nil {
		return nil, err
	}
	if a.Status != STATUS_PROPOSED {
		return nil, ErrWrongStatus.Wrapf("agreement %d is %s; only a proposed agreement can be accepted", a.Id, a.Status)
	}
	node, st, err := k.holderNode(ctx, a.HolderNodeId, a.QuotaBytes)
	if err != nil {
		return nil, err
	}
	if node.Owner != m.Holder {
		return nil, ErrNotHolder.Wrapf("node %s is owned by %s, not %s: its owner accepts", a.HolderNodeId, node.Owner, m.Holder)
	}
	if !a.Collateral.Amount.IsZero() && (m.Collateral.Denom != a.Collateral.Denom || m.Collateral.Amount.LT(a.Collateral.Amount)) {
		return nil, ErrCollateral.Wrapf("collateral %s: the proposal asks for at least %s", m.Collateral, a.Collateral)
	}
	holder, _ := crypto.AddressFromBech32(m.Holder)
	if !m.Collateral.Amount.IsZero() {
		if err := k.bank.SendCoins(ctx, holder, Escrow, types.Coins{m.Collateral}); err != nil {
			return nil, err
		}
		a.Collateral = m.Collateral
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	h := runtime.Unwrap(ctx).BlockHeight()
	a.Status, a.Holder, a.AcceptedHeight = STATUS_ACTIVE, m.Holder, h
	a.NextPaymentHeight = h + int64(p.EpochBlocks)
	if err := k.Agreements.Set(ctx, a.Id, a); err != nil {
		return nil, err
	}
	if err := k.Due.Set(ctx, dueAt(a.NextPaymentHeight, duePayment, a.Id)); err != nil {
		return nil, err
	}
	st.UsedBytes += a.QuotaBytes
	if err := k.HolderStats.Set(ctx, a.HolderNodeId, st); err != nil {
		return nil, err
	}
	emit(ctx, EventTypeAccept, AttrAgreementID, idStr(a.Id), AttrHolder, m.Holder, AttrNodeID, a.HolderNodeId)
	return &MsgAcceptResponse{}, nil
}

func (s msgServer) Reject(ctx context.Context, m *MsgReject) (*MsgRejectResponse, error) {
	k := s.k
	a, err := k.agreement(ctx, m.AgreementId)
	if err != nil {
		return nil, err
	}
	if a.Status != STATUS_PROPOSED {
		return nil, ErrWrongStatus.Wrapf("agreement %d is %s; only a proposal can be rejected (MsgEnd ends an active one)", a.Id, a.Status)
	}
	if m.SignerAddr != a.Owner {
		e, found, err := k.registry.GetNode(ctx, a.HolderNodeId)
		if err != nil {
			return nil, err
		}
		if !found || e.Node.Owner != m.SignerAddr {
			return nil, ErrNotParty.Wrapf("%s is neither agreement %d's owner nor its holder node's owner", m.SignerAddr, a.Id)
		}
	}
	if err := k.close(ctx, a, STATUS_REJECTED); err != nil {
		return nil, err
	}
	return &MsgRejectResponse{}, nil
}

func (s msgServer) CommitManifest(ctx context.Context, m *MsgCommitManifest) (*MsgCommitManifestResponse, error) {
	k := s.k
	a, err := k.agreement(ctx, m.AgreementId)
	if err != nil {
		return nil, err
	}
	if m.Owner != a.Owner {
		return nil, ErrNotOwner.Wrapf("only agreement %d's owner %s commits its manifest, not %s", a.Id, a.Owner, m.Owner)
	}
	if a.Status != STATUS_ACTIVE {
		return nil, ErrWrongStatus.Wrapf("agreement %d is %s; manifests are committed to active agreements", a.Id, a.Status)
	}
	if m.Revision != a.Revision+1 {
		return nil, ErrWrongRevision.Wrapf("agreement %d is at revision %d: commit revision %d", a.Id, a.Revision, a.Revision+1)
	}
	if m.TotalBytes > a.QuotaBytes {
		return nil, ErrOverQuota.Wrapf("manifest holds %d bytes; agreement %d's quota is %d", m.TotalBytes, a.Id, a.QuotaBytes)
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if m.ChunkCount > p.MaxChunkCount {
		return nil, ErrInvalidManifest.Wrapf("chunk_count %d is over params.max_chunk_count %d", m.ChunkCount, p.MaxChunkCount)
	}
	// The old root's open challenge cannot be answered against the new one.
	if err := k.cancelChallenge(ctx, a.Id); err != nil {
		return nil, err
	}
	if a.Revision == 0 { // its first manifest: from now on it is challenged
		if err := k.Challengeable.Set(ctx, a.Id); err != nil {
			return nil, err
		}
	}
	a.Revision, a.Root, a.ChunkCount, a.TotalBytes = m.Revision, m.Root, m.ChunkCount, m.TotalBytes
	if err := k.Agreements.Set(ctx, a.Id, a); err != nil {
		return nil, err
	}
	emit(ctx, EventTypeCommitManifest, AttrAgreementID, idStr(a.Id), AttrRevision, strconv.FormatUint(a.Revision, 10), AttrRoot, hex.EncodeToString(a.Root))
	return &MsgCommitManifestResponse{}, nil
}

// ProveStorage reads only the challenge (which carries the agreement's root and
// holder) on the path of a good proof: a block may carry thousands.
func (s msgServer) ProveStorage(ctx context.Context, m *MsgProveStorage) (*MsgProveStorageResponse, error) {
	k := s.k
	ch, err := k.Challenges.Get(ctx, m.AgreementId)
	if errIsNotFound(err) || (err == nil && ch.AnsweredHeight != 0) {
		return nil, k.noChallenge(ctx, m)
	}
	if err != nil {
		return nil, err
	}
	if m.Holder != ch.Holder {
		return nil, ErrNotHolder.Wrapf("only agreement %d's holder %s proves its storage, not %s", ch.AgreementId, ch.Holder, m.Holder)
	}
	if h := runtime.Unwrap(ctx).BlockHeight(); h > ch.DeadlineHeight {
		return nil, ErrProofTooLate.Wrapf("the challenge's window closed at height %d (now %d); it is asked again in containment", ch.DeadlineHeight, h)
	}
	if m.ChunkIndex != ch.ChunkIndex {
		return nil, ErrWrongChunk.Wrapf("agreement %d's challenge asks for chunk %d, the proof is for chunk %d", ch.AgreementId, ch.ChunkIndex, m.ChunkIndex)
	}
	if err := k.verifyProof(&ch, m); err != nil {
		// Which half failed decides the code: a wrong leaf or tampered manifest path, or a bad segment.
		if lerr := leafInManifest(ch.Root, ch.ChunkCount, ch.ChunkIndex, m.ChunkLeaf, m.ManifestPath); lerr != nil {
			return nil, ErrLeafNotInManifest.Wrapf("agreement %d chunk %d, revision %d root %x: %v", ch.AgreementId, ch.ChunkIndex, ch.Revision, ch.Root, lerr)
		}
		return nil, ErrSegmentNotInChunk.Wrapf("agreement %d chunk %d (segment %d for this challenge's seed): %v",
			ch.AgreementId, ch.ChunkIndex, SegmentIndex(ch.Seed, chunkSize(m.ChunkLeaf)), err)
	}
	// Answered in place: the one write of a good proof. The record stays until
	// the agreement's next challenge overwrites it; the holder's counter is
	// written once for the block (holder_stats.go).
	h := runtime.Unwrap(ctx).BlockHeight()
	ch.AnsweredHeight = h
	if err := k.Challenges.Set(ctx, ch.AgreementId, ch); err != nil {
		return nil, err
	}
	switch mode := runtime.Unwrap(ctx).Mode(); {
	case mode == runtime.ModeFinalize:
		k.answered.note(h, ch.AgreementId)
	case mode == runtime.ModeGenesis:
		if err := k.addAnswered(ctx, ch.HolderNodeId, 1); err != nil {
			return nil, err
		}
	}
	emit(ctx, EventTypeProof, AttrAgreementID, idStr(ch.AgreementId), AttrChunkIndex, strconv.FormatUint(ch.ChunkIndex, 10))
	return &MsgProveStorageResponse{}, nil
}

// noChallenge is the error of a proof for an agreement without an open challenge.
func (k Keeper) noChallenge(ctx context.Context, m *MsgProveStorage) error {
	a, err := k.agreement(ctx, m.AgreementId)
	if err != nil {
		return err
	}
	switch {
	case m.Holder != a.Holder:
		return ErrNotHolder.Wrapf("only agreement %d's holder %s proves its storage, not %s", a.Id, a.Holder, m.Holder)
	case a.Status == STATUS_FAILED:
		return ErrProofTooLate.Wrapf("agreement %d failed at height %d after max_misses missed challenges in a row: the proof came after the window", a.Id, a.EndHeight)
	case !a.Status.IsServing():
		return ErrWrongStatus.Wrapf("agreement %d is %s: nothing to prove", a.Id, a.Status)
	}
	return ErrNoChallenge.Wrapf("agreement %d has no open challenge (query backup challenges %d)", a.Id, a.Id)
}

func (s msgServer) End(ctx context.Context, m *MsgEnd) (*MsgEndResponse, error) {
	k := s.k
	a, err := k.agreement(ctx, m.AgreementId)
	if err != nil {
		return nil, err
	}
	if m.SignerAddr != a.Owner && m.SignerAddr != a.Holder {
		return nil, ErrNotParty.Wrapf("%s is neither agreement %d's owner nor its holder", m.SignerAddr, a.Id)
	}
	if a.Status != STATUS_ACTIVE {
		return nil, ErrWrongStatus.Wrapf("agreement %d is %s; only an active agreement can be given notice (MsgReject cancels a proposal)", a.Id, a.Status)
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	// Notice runs in whole epochs: the agreement ends at the payment of its last epoch.
	a.Status = STATUS_ENDING
	a.EndHeight = a.NextPaymentHeight + int64((a.NoticeEpochs-1)*p.EpochBlocks)
	if err := k.Agreements.Set(ctx, a.Id, a); err != nil {
		return nil, err
	}
	if err := k.Due.Set(ctx, dueAt(a.EndHeight, dueEnd, a.Id)); err != nil {
		return nil, err
	}
	emit(ctx, EventTypeEnding, AttrAgreementID, idStr(a.Id), AttrOwner, a.Owner, AttrEndHeight, strconv.FormatInt(a.EndHeight, 10))
	return &MsgEndResponse{EndHeight: a.EndHeight}, nil
}
