package registry

import (
	"fmt"

	"github.com/selfchain/selfchain/types"
)

// GiB is 2^30 bytes.
const GiB uint64 = 1 << 30

// Hard caps that no param can raise: they bound EndBlock and state per node.
const (
	MaxNodesPerOwnerCap       = 100
	MaxTransitionsPerBlockCap = 10_000
)

// DefaultBondDenom is the chain's bond denom (app.BondDenom; not imported: app imports this package).
const DefaultBondDenom = "uself"

func DefaultParams() Params {
	return Params{
		Deposit:                types.NewCoin(DefaultBondDenom, 1_000_000), // 1 SELF
		MaxNodesPerOwner:       10,
		StaleAfterBlocks:       600,    // ~1 h at 6 s blocks
		ExpireAfterBlocks:      14_400, // ~1 day
		MaxTransitionsPerBlock: 1_000,
		KeyRotationGraceBlocks: 600,
		TierQuotas:             TierQuotas{Free: 10 * GiB, Growth: 50 * GiB, Pro: 200 * GiB},
	}
}

func (p Params) Validate() error {
	if err := p.Deposit.Validate(); err != nil {
		return fmt.Errorf("deposit: %w", err)
	}
	if p.MaxNodesPerOwner == 0 || p.MaxNodesPerOwner > MaxNodesPerOwnerCap {
		return fmt.Errorf("max_nodes_per_owner: %d is not in 1..%d", p.MaxNodesPerOwner, MaxNodesPerOwnerCap)
	}
	if p.StaleAfterBlocks <= 0 {
		return fmt.Errorf("stale_after_blocks: %d must be positive", p.StaleAfterBlocks)
	}
	if p.ExpireAfterBlocks <= p.StaleAfterBlocks {
		return fmt.Errorf("expire_after_blocks: %d must exceed stale_after_blocks (%d)", p.ExpireAfterBlocks, p.StaleAfterBlocks)
	}
	if p.MaxTransitionsPerBlock == 0 || p.MaxTransitionsPerBlock > MaxTransitionsPerBlockCap {
		return fmt.Errorf("max_transitions_per_block: %d is not in 1..%d", p.MaxTransitionsPerBlock, MaxTransitionsPerBlockCap)
	}
	if p.KeyRotationGraceBlocks < 0 {
		return fmt.Errorf("key_rotation_grace_blocks: %d is negative", p.KeyRotationGraceBlocks)
	}
	q := p.TierQuotas
	if q.Free == 0 || q.Growth < q.Free || q.Pro < q.Growth {
		return fmt.Errorf("tier_quotas: want 0 < free <= growth <= pro, got %d/%d/%d", q.Free, q.Growth, q.Pro)
	}
	return nil
}

// QuotaBytes is the storage quota of n under p: the tier's, or n's own for enterprise.
func (p Params) QuotaBytes(n *Node) uint64 {
	switch n.Tier {
	case TIER_FREE:
		return p.TierQuotas.Free
	case TIER_GROWTH:
		return p.TierQuotas.Growth
	case TIER_PRO:
		return p.TierQuotas.Pro
	default:
		return n.CustomQuotaBytes
	}
}
