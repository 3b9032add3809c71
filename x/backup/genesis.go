package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

// DefaultGenesis has default params and no agreements.
func DefaultGenesis() GenesisState { return GenesisState{Params: DefaultParams(), NextAgreementId: 1} }

// Validate checks each agreement and challenge on its own and that the holder
// stats' open_agreements and used_bytes match the agreements. Heights are kept
// as they were (a chain started from an export continues at its height).
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params.%w", err)
	}
	if gs.NextAgreementId == 0 {
		return fmt.Errorf("next_agreement_id: must be at least 1")
	}
	byID := map[uint64]*Agreement{}
	open := map[string]HolderStats{}
	for i := range gs.Agreements {
		a := &gs.Agreements[i]
		if err := a.validate(); err != nil {
			return fmt.Errorf("agreements[%d]: %w", i, err)
		}
		if a.Id >= gs.NextAgreementId {
			return fmt.Errorf("agreements[%d]: id %d is not below next_agreement_id %d", i, a.Id, gs.NextAgreementId)
		}
		if i > 0 && a.Id <= gs.Agreements[i-1].Id {
			return fmt.Errorf("agreements[%d]: ids must be increasing", i)
		}
		byID[a.Id] = a
		if a.Status.IsOpen() {
			st := open[a.HolderNodeId]
			st.OpenAgreements++
			if a.Status.IsServing() {
				st.UsedBytes += a.QuotaBytes
			}
			open[a.HolderNodeId] = st
		}
	}
	for i, ch := range gs.Challenges {
		a, ok := byID[ch.AgreementId]
		if !ok || !a.Status.IsServing() || a.Revision == 0 {
			return fmt.Errorf("challenges[%d]: agreement %d is not an active agreement with a manifest", i, ch.AgreementId)
		}
		if i > 0 && ch.AgreementId <= gs.Challenges[i-1].AgreementId {
			return fmt.Errorf("challenges[%d]: agreement ids must be increasing (one challenge per agreement)", i)
		}
		if !bytes.Equal(ch.Root, a.Root) || ch.ChunkCount != a.ChunkCount || ch.Holder != a.Holder || ch.HolderNodeId != a.HolderNodeId || ch.Revision != a.Revision {
			return fmt.Errorf("challenges[%d]: root, chunk_count, revision, holder and holder_node_id must be agreement %d's", i, a.Id)
		}
		if ch.ChunkIndex >= a.ChunkCount || len(ch.Seed) != sha256.Size || ch.DeadlineHeight < ch.IssuedHeight {
			return fmt.Errorf("challenges[%d]: chunk_index, seed (32 bytes) or heights out of range", i)
		}
		if ch.AnsweredHeight != 0 {
			return fmt.Errorf("challenges[%d]: answered_height %d: genesis lists open challenges only (answered_height 0)", i, ch.AnsweredHeight)
		}
	}
	seen := map[string]bool{}
	for i, e := range gs.HolderStats {
		if !registry.ValidNodeID(e.NodeId) || seen[e.NodeId] {
			return fmt.Errorf("holder_stats[%d]: node id %q invalid or repeated", i, e.NodeId)
		}
		seen[e.NodeId] = true
		want := open[e.NodeId]
		if e.Stats.OpenAgreements != want.OpenAgreements || e.Stats.UsedBytes != want.UsedBytes {
			return fmt.Errorf("holder_stats[%d]: open_agreements %d / used_bytes %d, the agreements say %d / %d",
				i, e.Stats.OpenAgreements, e.Stats.UsedBytes, want.OpenAgreements, want.UsedBytes)
		}
		delete(open, e.NodeId)
	}
	for _, a := range gs.Agreements { // in order: the first missing one is named
		if _, missing := open[a.HolderNodeId]; missing {
			return fmt.Errorf("holder_stats: no entry for node %s, which holds open agreements", a.HolderNodeId)
		}
	}
	return nil
}

func (a *Agreement) validate() error {
	if a.Id == 0 {
		return fmt.Errorf("id: must be positive")
	}
	if _, err := crypto.AddressFromBech32(a.Owner); err != nil {
		return fmt.Errorf("owner: %v", err)
	}
	if !registry.ValidNodeID(a.HolderNodeId) {
		return fmt.Errorf("holder_node_id %q: not a node id", a.HolderNodeId)
	}
	if a.Status == STATUS_UNSPECIFIED || Status_name[int32(a.Status)] == "" {
		return fmt.Errorf("status %d: unknown", a.Status)
	}
	if a.Status != STATUS_PROPOSED && a.Status != STATUS_REJECTED {
		if _, err := crypto.AddressFromBech32(a.Holder); err != nil {
			return fmt.Errorf("holder: %v", err)
		}
	}
	for _, c := range []struct {
		f  string
		ok bool
	}{{"price_per_epoch", a.PricePerEpoch.Validate() == nil}, {"escrow", types.ValidateDenom(a.Escrow.Denom) == nil},
		{"collateral", types.ValidateDenom(a.Collateral.Denom) == nil}, {"paid", types.ValidateDenom(a.Paid.Denom) == nil},
		{"slashed", types.ValidateDenom(a.Slashed.Denom) == nil}} {
		if !c.ok {
			return fmt.Errorf("%s: invalid coin", c.f)
		}
	}
	if a.Revision > 0 && (len(a.Root) != sha256.Size || a.ChunkCount == 0 || a.TotalBytes > a.QuotaBytes) {
		return fmt.Errorf("manifest: a 32-byte root, chunks and total_bytes within the quota are required")
	}
	if a.Status.IsServing() && a.NextPaymentHeight <= 0 && a.Status == STATUS_ACTIVE {
		return fmt.Errorf("next_payment_height: an active agreement has one")
	}
	return nil
}

func (k Keeper) InitGenesis(ctx context.Context, gs GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.Seq.Set(ctx, gs.NextAgreementId-1); err != nil { // Next()+1 is the id handed out
		return err
	}
	for _, ch := range gs.Challenges {
		if err := k.Challenges.Set(ctx, ch.AgreementId, ch); err != nil {
			return err
		}
		if err := k.Due.Set(ctx, dueAt(ch.DeadlineHeight, dueDeadline, ch.AgreementId)); err != nil {
			return err
		}
	}
	owners := map[string]uint64{}
	var ownerOrder []string
	for _, a := range gs.Agreements {
		if err := k.Agreements.Set(ctx, a.Id, a); err != nil {
			return err
		}
		owner, _ := crypto.AddressFromBech32(a.Owner) // validated
		if err := k.ByOwner.Set(ctx, collections.Join([]byte(owner), a.Id)); err != nil {
			return err
		}
		if err := k.ByHolder.Set(ctx, collections.Join(a.HolderNodeId, a.Id)); err != nil {
			return err
		}
		switch {
		case a.Status.IsOpen():
			if _, ok := owners[a.Owner]; !ok {
				ownerOrder = append(ownerOrder, a.Owner)
			}
			owners[a.Owner]++
		default:
			if err := k.Due.Set(ctx, dueAt(a.EndHeight+int64(gs.Params.RetainBlocks), duePrune, a.Id)); err != nil {
				return err
			}
		}
		if a.Status.IsServing() {
			if a.NextPaymentHeight != 0 {
				if err := k.Due.Set(ctx, dueAt(a.NextPaymentHeight, duePayment, a.Id)); err != nil {
					return err
				}
			}
			if a.Status == STATUS_ENDING {
				if err := k.Due.Set(ctx, dueAt(a.EndHeight, dueEnd, a.Id)); err != nil {
					return err
				}
			}
			if a.Revision > 0 { // challenged or not (an open challenge is in Challenges)
				if err := k.Challengeable.Set(ctx, a.Id); err != nil {
					return err
				}
			}
		}
	}
	for _, o := range ownerOrder {
		addr, _ := crypto.AddressFromBech32(o)
		if err := k.OwnerOpen.Set(ctx, addr, owners[o]); err != nil {
			return err
		}
	}
	for _, e := range gs.HolderStats {
		if err := k.HolderStats.Set(ctx, e.NodeId, e.Stats); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis writes params, every stored agreement (by id), the open
// challenges (answered ones are dropped: an import makes the agreement challengeable alone) and the holders' counters; the indexes and queues are rebuilt on import.
func (k Keeper) ExportGenesis(ctx context.Context) (GenesisState, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return GenesisState{}, err
	}
	n, err := k.Seq.Peek(ctx)
	if err != nil {
		return GenesisState{}, err
	}
	gs := GenesisState{Params: p, NextAgreementId: n + 1}
	if err := k.Agreements.Walk(ctx, nil, func(_ uint64, a Agreement) (bool, error) {
		gs.Agreements = append(gs.Agreements, a)
		return false, nil
	}); err != nil {
		return GenesisState{}, err
	}
	if err := k.Challenges.Walk(ctx, nil, func(_ uint64, ch Challenge) (bool, error) {
		if ch.AnsweredHeight != 0 {
			return false, nil // answered: kept only until the next challenge overwrites it
		}
		gs.Challenges = append(gs.Challenges, ch)
		return false, nil
	}); err != nil {
		return GenesisState{}, err
	}
	err = k.HolderStats.Walk(ctx, nil, func(id string, st HolderStats) (bool, error) {
		gs.HolderStats = append(gs.HolderStats, HolderStatsEntry{NodeId: id, Stats: st})
		return false, nil
	})
	return gs, err
}
