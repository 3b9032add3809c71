package backup

import (
	"context"
	"math/bits"

	"github.com/selfchain/selfchain/x/registry"
)

var _ registry.BackupStats = Keeper{}

// BackupReliability is a holder node's challenge record as x/registry's node
// query shows it (registry.BackupStats); nil for a node that never held an
// agreement. It only reads: the counters live in HolderStats alone.
func (k Keeper) BackupReliability(ctx context.Context, nodeID string) (*registry.BackupReliability, error) {
	s, err := k.HolderStats.Get(ctx, nodeID)
	if errIsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return Reliability(s), nil
}

// Reliability turns holder counters into the registry's view. The score is
// answered per million challenges decided (integer maths, rounded down); a
// holder not yet challenged scores 1,000,000, as a new Storj node starts
// trusted.
func Reliability(s HolderStats) *registry.BackupReliability {
	return &registry.BackupReliability{Answered: s.ProofsAnswered, Missed: s.ProofsMissed, Slashed: s.Slashed,
		ScorePpm: scorePPM(s.ProofsAnswered, s.ProofsMissed), OpenAgreements: s.OpenAgreements}
}

func scorePPM(answered, missed uint64) uint32 {
	total, carry := bits.Add64(answered, missed, 0)
	if carry != 0 { // unreachable in practice; halve both to stay exact enough
		answered, total = answered/2, answered/2+missed/2
	}
	if total == 0 {
		return 1_000_000
	}
	hi, lo := bits.Mul64(answered, 1_000_000)
	q, _ := bits.Div64(hi, lo, total) // answered ≤ total: q ≤ 1,000,000, no overflow
	return uint32(q)
}
