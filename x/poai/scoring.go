package poai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
)

// The scoring window. Validators' analyzers score committed blocks at their own
// pace and their vote extensions carry whatever they have finished for the last
// score_window (W) blocks. Each scored block waits here (PendingScores) until:
//   - validators holding more than 2/3 of its power have reported: its medians are
//     decided and its flags take effect at once (RecordTxRisks);
//   - or it leaves the window (no later vote may carry it): its medians are
//     decided with what arrived, if not yet, and reputation is settled: every
//     reporter is compared with the medians, every expected validator that never
//     reported within the window loses agreement for it — unless nobody reported
//     at all (a chain-wide outage or a resume is no evidence against anyone).
// All of it is deterministic and bounded: at most MaxScoreWindow+1 blocks pending,
// one report per validator per block, at most MaxScoresPerBlock scores a report.

// Limits of the scoring window, state independent.
const (
	// MaxScoreWindow bounds score_window and so the blocks pending at once.
	MaxScoreWindow = 64
	// DefaultScoreWindow fits a model answering in 10 s at 1 s blocks: its report
	// on block h is ready about 10 heights later and rides the next vote.
	DefaultScoreWindow = 16
	// MaxScoresPerBlock is K: at most this many txs of a block are scored (the
	// sample every validator derives from the block hash).
	MaxScoresPerBlock = 256
	// ScoreTolerance is how far (in risk points) a score may sit from the median
	// and still count as full agreement: the Yuma-style clip band.
	ScoreTolerance = 50
	// MaxRisk is the highest risk score.
	MaxRisk = 1000
)

// BlockScores is one validator's scores for one block, as its vote extension
// carried them.
type BlockScores struct {
	Height    int64
	BlockHash []byte
	ModelID   string
	TxIndices []uint32 // strictly increasing
	Risks     []uint32 // aligned with TxIndices, 0..MaxRisk
}

// VoteScores is what one vote of an extended commit carried.
type VoteScores struct {
	ConsAddress []byte
	Blocks      []BlockScores
}

// pendingFor creates block height's PendingScores with CometBFT's current set
// (LastPowers) as its scorers, sorted by address.
func (k Keeper) pendingFor(ctx context.Context, height int64, hash []byte, txCount int) error {
	ps := PendingScores{BlockHash: bytes.Clone(hash), TxCount: uint32(txCount)}
	err := k.LastPowers.Walk(ctx, nil, func(addr []byte, lp LastPower) (bool, error) {
		if lp.Power > 0 {
			ps.Scorers = append(ps.Scorers, Scorer{ConsensusAddress: bytes.Clone(addr), Power: lp.Power})
			ps.TotalPower += lp.Power
		}
		return false, nil
	})
	if err != nil || ps.TotalPower == 0 {
		return err
	}
	return k.PendingScores.Set(ctx, height, ps)
}

// RecordScores stores the block scores of the votes for voteHeight (an extended
// commit's, already signature-checked) for the pending blocks they name. A report
// is dropped — with its reason returned for the node's log, and no effect on
// anyone — when its block is outside the window [voteHeight-W, voteHeight-1], no
// longer (or never) pending, another block than the one at that height, names a
// tx the block does not have, or comes from a validator not expected to score the
// block. A validator's first report for a block counts; repeats are ignored.
func (k Keeper) RecordScores(ctx context.Context, voteHeight int64, votes []VoteScores) (dropped []string, err error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	sorted := slices.Clone(votes)
	slices.SortStableFunc(sorted, func(a, b VoteScores) int { return bytes.Compare(a.ConsAddress, b.ConsAddress) })
	for i, v := range sorted {
		if i > 0 && bytes.Equal(v.ConsAddress, sorted[i-1].ConsAddress) {
			continue
		}
		for _, b := range v.Blocks {
			why, err := k.recordReport(ctx, p, voteHeight, v.ConsAddress, b)
			if err != nil {
				return dropped, err
			}
			if why != "" {
				dropped = append(dropped, fmt.Sprintf("validator %X, block %d: %s", v.ConsAddress, b.Height, why))
			}
		}
	}
	return dropped, nil
}

func (k Keeper) recordReport(ctx context.Context, p Params, voteHeight int64, addr []byte, b BlockScores) (string, error) {
	if b.Height < voteHeight-p.ScoreWindow || b.Height >= voteHeight {
		return fmt.Sprintf("outside the scoring window [%d, %d] of the vote for %d", voteHeight-p.ScoreWindow, voteHeight-1, voteHeight), nil
	}
	ps, err := k.PendingScores.Get(ctx, b.Height)
	if errors.Is(err, collections.ErrNotFound) {
		return "the block is not awaiting scores (window closed, or a block without scorers)", nil
	}
	if err != nil {
		return "", err
	}
	if !bytes.Equal(ps.BlockHash, b.BlockHash) {
		return fmt.Sprintf("scores block %X, the chain's block at that height is %X", b.BlockHash, ps.BlockHash), nil
	}
	if n := len(b.TxIndices); n > 0 && b.TxIndices[n-1] >= ps.TxCount {
		return fmt.Sprintf("scores tx %d of a block of %d txs", b.TxIndices[n-1], ps.TxCount), nil
	}
	if !wellFormed(b) {
		return "malformed scores", nil // the extension decoder refuses these; kept for direct callers
	}
	at, ok := slices.BinarySearchFunc(ps.Scorers, addr, func(s Scorer, a []byte) int { return bytes.Compare(s.ConsensusAddress, a) })
	if !ok {
		return "not a validator of that block", nil
	}
	key := collections.Join(b.Height, addr)
	if has, err := k.Reports.Has(ctx, key); err != nil || has {
		return "", err // a repeat: the first report counts
	}
	if err := k.Reports.Set(ctx, key, StoredReport{ModelId: b.ModelID, TxIndices: b.TxIndices, Risks: b.Risks}); err != nil {
		return "", err
	}
	ps.ReportedPower += ps.Scorers[at].Power
	if err := k.PendingScores.Set(ctx, b.Height, ps); err != nil {
		return "", err
	}
	return "", k.noteReport(ctx, addr, b, voteHeight)
}

// noteReport keeps on the validator's record what its reports show: the model
// they name, the highest block scored, and how many heights after the block the
// report rode a vote (a model's speed in blocks).
func (k Keeper) noteReport(ctx context.Context, addr []byte, b BlockScores, voteHeight int64) error {
	v, found, err := k.ValidatorByConsAddr(ctx, addr)
	if err != nil || !found {
		return err // a genesis.json validator x/poai does not keep
	}
	v.LastModelId, v.ReportLagBlocks = b.ModelID, voteHeight-b.Height
	v.LastScoredHeight = max(v.LastScoredHeight, b.Height)
	return k.setValidator(ctx, v)
}

// Unreported is which of heights the chain still takes scores for in a vote for
// voteHeight (inside its window, pending) that consAddr has not reported yet
// (every pending one when consAddr is empty): what a validator's next vote
// extension should carry. Read from committed state, off the consensus path.
func (k Keeper) Unreported(ctx context.Context, voteHeight int64, consAddr []byte, heights []int64) ([]int64, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, h := range heights {
		if h < voteHeight-p.ScoreWindow || h >= voteHeight {
			continue
		}
		if ok, err := k.PendingScores.Has(ctx, h); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		if len(consAddr) > 0 {
			if done, err := k.Reports.Has(ctx, collections.Join(h, consAddr)); err != nil {
				return nil, err
			} else if done {
				continue
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// wellFormed: aligned, at most MaxScoresPerBlock, strictly increasing indices, risks in range.
func wellFormed(b BlockScores) bool {
	if len(b.TxIndices) != len(b.Risks) || len(b.TxIndices) > MaxScoresPerBlock {
		return false
	}
	for i, idx := range b.TxIndices {
		if (i > 0 && idx <= b.TxIndices[i-1]) || b.Risks[i] > MaxRisk {
			return false
		}
	}
	return true
}

// SettleScores runs at every block after RecordScores: it decides the medians of
// each pending block that more than 2/3 of its power has reported, and settles
// the blocks that leave the window (no vote after this block may carry them).
func (k Keeper) SettleScores(ctx context.Context) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	now := runtime.Unwrap(ctx).BlockHeight()
	type entry struct {
		h  int64
		ps PendingScores
	}
	var pending []entry
	err = k.PendingScores.Walk(ctx, nil, func(h int64, ps PendingScores) (bool, error) {
		pending = append(pending, entry{h, ps})
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, e := range pending {
		closing := e.h < now-p.ScoreWindow
		if e.ps.DecidedAt == 0 && (closing || e.ps.ReportedPower*3 > e.ps.TotalPower*2) {
			if err := k.decide(ctx, e.h, &e.ps, now); err != nil {
				return err
			}
		}
		if closing {
			if err := k.closeBlock(ctx, e.h, e.ps); err != nil {
				return err
			}
		}
	}
	return nil
}

// reports is every stored report for block h, in scorer (address) order.
func (k Keeper) reports(ctx context.Context, h int64) (map[string]StoredReport, error) {
	out := map[string]StoredReport{}
	rng := collections.NewPrefixedPairRange[int64, []byte](h)
	err := k.Reports.Walk(ctx, rng, func(key collections.Pair[int64, []byte], r StoredReport) (bool, error) {
		out[string(key.K2())] = r
		return false, nil
	})
	return out, err
}

// decide fixes block h's medians from the reports so far and flags its risky txs.
func (k Keeper) decide(ctx context.Context, h int64, ps *PendingScores, now int64) error {
	reps, err := k.reports(ctx, h)
	if err != nil {
		return err
	}
	medians := Medians(ps.Scorers, ps.TotalPower, reps)
	ps.DecidedAt = now
	ps.MedianIndices, ps.MedianRisks = make([]uint32, len(medians)), make([]uint32, len(medians))
	for i, m := range medians {
		ps.MedianIndices[i], ps.MedianRisks[i] = m.Index, m.Risk
	}
	if err := k.PendingScores.Set(ctx, h, *ps); err != nil {
		return err
	}
	return k.RecordTxRisks(ctx, h, medians)
}

// closeBlock settles block h's reputation and forgets it.
func (k Keeper) closeBlock(ctx context.Context, h int64, ps PendingScores) error {
	reps, err := k.reports(ctx, h)
	if err != nil {
		return err
	}
	if len(reps) > 0 {
		medians := make([]TxRisk, len(ps.MedianIndices))
		for i := range medians {
			medians[i] = TxRisk{Index: ps.MedianIndices[i], Risk: ps.MedianRisks[i]}
		}
		signals := make([]AgreementSignal, len(ps.Scorers))
		for i, s := range ps.Scorers {
			signals[i] = AgreementSignal{ConsAddress: s.ConsensusAddress}
			if r, ok := reps[string(s.ConsensusAddress)]; ok {
				signals[i].Scored = true
				signals[i].Agreement = Agreement(r.TxIndices, r.Risks, medians)
			}
		}
		if err := k.RecordAgreement(ctx, h, signals); err != nil {
			return err
		}
	}
	if err := k.Reports.Clear(ctx, collections.NewPrefixedPairRange[int64, []byte](h)); err != nil {
		return err
	}
	if err := k.BlockTxs.Remove(ctx, h); err != nil {
		return err
	}
	return k.PendingScores.Remove(ctx, h)
}

// Medians is, per tx index, the stake-weighted median risk over the scorers that
// scored it, when they hold more than half of totalPower (else no median), by
// increasing index. reps maps a scorer's address to its report; scorers are
// sorted by address, so ties in risk order by address.
func Medians(scorers []Scorer, totalPower int64, reps map[string]StoredReport) []TxRisk {
	// Every (index, risk, scorer) entry packed in one uint64 — index (< 2^20) in
	// the top bits, then risk (< 2^11), then the scorer's position (< 2^20) — so
	// one integer sort groups entries by index and orders each group by risk.
	var entries []uint64
	for si, s := range scorers {
		r, ok := reps[string(s.ConsensusAddress)]
		if !ok {
			continue
		}
		for k, idx := range r.TxIndices {
			entries = append(entries, uint64(idx)<<40|uint64(min(r.Risks[k], MaxRisk))<<20|uint64(si))
		}
	}
	slices.Sort(entries)
	const mask20 = 1<<20 - 1
	var out []TxRisk
	var risks []uint32
	var powers []int64
	for start := 0; start < len(entries); {
		idx := uint32(entries[start] >> 40)
		end := start
		var scoring int64
		risks, powers = risks[:0], powers[:0]
		for end < len(entries) && uint32(entries[end]>>40) == idx {
			e := entries[end]
			pw := scorers[e&mask20].Power
			scoring += pw
			risks = append(risks, uint32(e>>20&mask20))
			powers = append(powers, pw)
			end++
		}
		if scoring*2 > totalPower {
			out = append(out, TxRisk{Index: idx, Risk: WeightedMedian(risks, powers)})
		}
		start = end
	}
	return out
}

// WeightedMedian is the lower stake-weighted median of risks (sorted ascending,
// powers aligned and positive): the first risk at which the cumulative power
// reaches half of the total. Returns 0 for no input.
func WeightedMedian(risks []uint32, powers []int64) uint32 {
	var total int64
	for _, p := range powers {
		total += p
	}
	var cum int64
	for i, r := range risks {
		cum += powers[i]
		if cum*2 >= total {
			return r
		}
	}
	return 0
}

// Agreement is one validator's agreement (ppm) with the medians (sorted by
// index): each median tx contributes PPM minus the clipped distance of the
// validator's score from it (ClippedLoss), 0 when it did not score the tx. No
// medians (an empty block, or too few scores): full agreement.
func Agreement(indices, risks []uint32, medians []TxRisk) uint32 {
	if len(medians) == 0 {
		return PPM
	}
	var sum uint64
	j := 0
	for _, m := range medians {
		for j < len(indices) && indices[j] < m.Index {
			j++
		}
		if j < len(indices) && indices[j] == m.Index {
			sum += uint64(PPM - ClippedLoss(risks[j], m.Risk))
		}
	}
	return uint32(sum / uint64(len(medians)))
}

// ClippedLoss is the ppm lost for a score s against median m: the score is
// clipped into [m-ScoreTolerance, m+ScoreTolerance] and each risk point clipped
// away costs 1000 ppm (so a score 1000 points off loses everything).
func ClippedLoss(s, m uint32) uint32 {
	d := s - m
	if s < m {
		d = m - s
	}
	if d <= ScoreTolerance {
		return 0
	}
	return min(d-ScoreTolerance, MaxRisk) * (PPM / MaxRisk)
}
