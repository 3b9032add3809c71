package backup

import (
	"crypto/sha256"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

var (
	_ runtime.Msg = (*MsgPropose)(nil)
	_ runtime.Msg = (*MsgAccept)(nil)
	_ runtime.Msg = (*MsgReject)(nil)
	_ runtime.Msg = (*MsgCommitManifest)(nil)
	_ runtime.Msg = (*MsgProveStorage)(nil)
	_ runtime.Msg = (*MsgEnd)(nil)
)

func (m *MsgPropose) Signer() string        { return m.Owner }
func (m *MsgAccept) Signer() string         { return m.Holder }
func (m *MsgReject) Signer() string         { return m.SignerAddr }
func (m *MsgCommitManifest) Signer() string { return m.Owner }
func (m *MsgProveStorage) Signer() string   { return m.Holder }
func (m *MsgEnd) Signer() string            { return m.SignerAddr }

// Bounds on proof fields: a path has at most 64 siblings of 32 bytes (trees
// of 2^40 chunks and of MaxChunkSize/SegmentSize segments are far shallower).
const maxPathLen = 64

func checkAddress(field, s string) error {
	_, err := runtime.ParseAddress(field, s)
	return err
}

func checkID(id uint64) error {
	if id == 0 {
		return runtime.ErrInvalidRequest.Wrap("agreement_id: required (ids start at 1)")
	}
	return nil
}

// checkCoin: a valid coin; positive unless zeroOK.
func checkCoin(field string, c types.Coin, zeroOK bool) error {
	if c.Amount.IsZero() && zeroOK {
		if c.Denom == "" {
			return nil
		}
		if err := types.ValidateDenom(c.Denom); err != nil {
			return runtime.ErrInvalidCoins.Wrapf("%s denom %q: %v", field, c.Denom, err)
		}
		return nil
	}
	if err := c.Validate(); err != nil {
		return runtime.ErrInvalidCoins.Wrapf("%s %s: %v", field, c, err)
	}
	if c.Amount.IsZero() && !zeroOK {
		return runtime.ErrInvalidCoins.Wrapf("%s: must be positive", field)
	}
	return nil
}

func (m *MsgPropose) ValidateBasic() error {
	if err := checkAddress("owner", m.Owner); err != nil {
		return err
	}
	if !registry.ValidNodeID(m.HolderNodeId) {
		return runtime.ErrInvalidRequest.Wrapf("holder_node_id %.80q is not a node id (%d hex digits)", m.HolderNodeId, 2*registry.NodeIDLen)
	}
	if m.QuotaBytes == 0 {
		return ErrInvalidTerms.Wrap("quota_bytes: must be positive")
	}
	if err := checkCoin("price_per_epoch", m.PricePerEpoch, false); err != nil {
		return err
	}
	if err := checkCoin("escrow", m.Escrow, false); err != nil {
		return err
	}
	if m.Escrow.Denom != m.PricePerEpoch.Denom || m.Escrow.Amount.LT(m.PricePerEpoch.Amount) {
		return ErrInvalidTerms.Wrapf("escrow %s must be at least one epoch's price %s, in the same denom", m.Escrow, m.PricePerEpoch)
	}
	if m.NoticeEpochs == 0 {
		return ErrInvalidTerms.Wrap("notice_epochs: must be at least 1")
	}
	return checkCoin("collateral", m.Collateral, true)
}

func (m *MsgAccept) ValidateBasic() error {
	if err := checkAddress("holder", m.Holder); err != nil {
		return err
	}
	if err := checkID(m.AgreementId); err != nil {
		return err
	}
	return checkCoin("collateral", m.Collateral, true)
}

func (m *MsgReject) ValidateBasic() error {
	if err := checkAddress("signer", m.SignerAddr); err != nil {
		return err
	}
	return checkID(m.AgreementId)
}

func (m *MsgEnd) ValidateBasic() error {
	if err := checkAddress("signer", m.SignerAddr); err != nil {
		return err
	}
	return checkID(m.AgreementId)
}

func (m *MsgCommitManifest) ValidateBasic() error {
	if err := checkAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := checkID(m.AgreementId); err != nil {
		return err
	}
	if len(m.Root) != sha256.Size {
		return ErrInvalidManifest.Wrapf("root: %d bytes, a manifest root is %d", len(m.Root), sha256.Size)
	}
	if m.ChunkCount == 0 || m.TotalBytes < m.ChunkCount {
		return ErrInvalidManifest.Wrapf("chunk_count %d and total_bytes %d: at least one chunk, each at least one byte", m.ChunkCount, m.TotalBytes)
	}
	// chunks of at most MaxChunkSize bytes: total ≤ count·MaxChunkSize (count ≤ 2^40, no overflow in the division)
	if m.ChunkCount > 1<<40 || (m.TotalBytes-1)/MaxChunkSize >= m.ChunkCount {
		return ErrInvalidManifest.Wrapf("total_bytes %d over %d chunks of at most %d bytes", m.TotalBytes, m.ChunkCount, MaxChunkSize)
	}
	if m.Revision == 0 {
		return ErrWrongRevision.Wrap("revision: the first manifest is revision 1")
	}
	return nil
}

func (m *MsgProveStorage) ValidateBasic() error {
	if err := checkAddress("holder", m.Holder); err != nil {
		return err
	}
	if err := checkID(m.AgreementId); err != nil {
		return err
	}
	if len(m.ChunkLeaf) != ChunkLeafSize {
		return ErrInvalidProof.Wrapf("chunk_leaf: %d bytes, a chunk leaf is %d", len(m.ChunkLeaf), ChunkLeafSize)
	}
	if len(m.Segment) == 0 || len(m.Segment) > SegmentSize {
		return ErrInvalidProof.Wrapf("segment: %d bytes, must be 1..%d", len(m.Segment), SegmentSize)
	}
	for _, p := range [][][]byte{m.SegmentPath, m.ManifestPath} {
		if len(p) > maxPathLen {
			return ErrInvalidProof.Wrapf("a Merkle path has %d hashes, at most %d", len(p), maxPathLen)
		}
		for _, h := range p {
			if len(h) != sha256.Size {
				return ErrInvalidProof.Wrapf("a Merkle path hash is %d bytes, must be %d", len(h), sha256.Size)
			}
		}
	}
	return nil
}

// Proof is the message's StorageProof.
func (m *MsgProveStorage) Proof() StorageProof {
	return StorageProof{ChunkLeaf: m.ChunkLeaf, Segment: m.Segment, SegmentPath: m.SegmentPath, ManifestPath: m.ManifestPath}
}
