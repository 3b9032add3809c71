package voteext

import (
	"bytes"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
)

// Aggregation constants (fixed point; no floats anywhere).
const (
	// PPM is 1.0 in agreement units (parts per million).
	PPM = 1_000_000
	// Tolerance is how far (in risk points) a score may sit from the median and
	// still count as full agreement: the Yuma-style clip band. A score is clipped
	// into [median-Tolerance, median+Tolerance]; only what was clipped away is lost.
	Tolerance = 50
)

// Vote is one validator's contribution, as FinalizeBlock reads it from the commit.
type Vote struct {
	Address []byte
	Power   int64
	// Ext is the decoded extension, nil when the vote carried none usable.
	Ext *VoteExtension
}

// Result is what aggregation yields for the keeper.
type Result struct {
	Risks   []TxRisk          // by increasing index; only txs that reached quorum
	Signals []AgreementSignal // one per vote, sorted by address
}

// VotesFromCommit reads the (already validated) injected commit: a commit vote with
// a signed, well-formed extension for scoredHeight contributes scores; any other
// vote is a non-scoring participant.
func VotesFromCommit(c *abci.ExtendedCommitInfo, scoredHeight int64) []Vote {
	out := make([]Vote, 0, len(c.Votes))
	for _, v := range c.Votes {
		vote := Vote{Address: v.Validator.Address, Power: v.Validator.Power}
		if v.BlockIdFlag == cmtproto.BlockIDFlagCommit && len(v.ExtensionSignature) > 0 && len(v.VoteExtension) > 0 {
			if ve, err := DecodeExtension(v.VoteExtension); err == nil && ve.ScoredHeight == scoredHeight {
				vote.Ext = ve
			}
		}
		out = append(out, vote)
	}
	return out
}

// Aggregate computes, deterministically and in integers:
//   - the block hash most of the scoring power agrees on (ties: the smallest);
//     scores for any other hash are ignored;
//   - per tx index, the stake-weighted median risk over the validators that scored
//     it, when they hold more than half of the commit's power (else no median);
//   - per validator, its agreement in ppm: the mean over every tx with a median of
//     PPM - (|score - median| clipped by Tolerance) * 1000 ppm/point, where a tx it
//     did not score counts 0; a validator with a usable extension on a block with
//     no medians agrees fully; a validator without one has Scored = false.
//
// Weights are the powers recorded in the commit; validators are iterated sorted by
// address, never through a map.
func Aggregate(votes []Vote) Result {
	vs := slices.Clone(votes)
	slices.SortStableFunc(vs, func(a, b Vote) int { return bytes.Compare(a.Address, b.Address) })

	var total int64
	for _, v := range vs {
		total += v.Power
	}
	hash := majorityHash(vs)
	for i := range vs {
		if vs[i].Ext != nil && !bytes.Equal(vs[i].Ext.ScoredBlockHash, hash) {
			vs[i].Ext = nil
		}
	}

	// Every (index, risk, weight, voter) entry, grouped by index then ordered by
	// risk (ties by voter position, i.e. by address).
	type entry struct {
		idx, risk uint32
		power     int64
		voter     int
	}
	var entries []entry
	for vi, v := range vs {
		if v.Ext == nil {
			continue
		}
		for k, idx := range v.Ext.TxIndices {
			entries = append(entries, entry{idx, v.Ext.Risks[k], v.Power, vi})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		switch {
		case a.idx != b.idx:
			return cmpU32(a.idx, b.idx)
		case a.risk != b.risk:
			return cmpU32(a.risk, b.risk)
		default:
			return a.voter - b.voter
		}
	})

	var res Result
	medians := map[uint32]uint32{} // looked up only, never iterated
	for start := 0; start < len(entries); {
		end := start
		var scoring int64
		for end < len(entries) && entries[end].idx == entries[start].idx {
			scoring += entries[end].power
			end++
		}
		if scoring*2 > total {
			risks := make([]uint32, 0, end-start)
			powers := make([]int64, 0, end-start)
			for _, e := range entries[start:end] {
				risks = append(risks, e.risk)
				powers = append(powers, e.power)
			}
			m := WeightedMedian(risks, powers)
			medians[entries[start].idx] = m
			res.Risks = append(res.Risks, TxRisk{Index: entries[start].idx, Risk: m})
		}
		start = end
	}

	res.Signals = make([]AgreementSignal, len(vs))
	for vi, v := range vs {
		sig := AgreementSignal{ConsAddress: v.Address}
		if v.Ext != nil {
			sig.Scored = true
			sig.Agreement = Agreement(v.Ext.TxIndices, v.Ext.Risks, res.Risks)
		}
		res.Signals[vi] = sig
	}
	return res
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

// Agreement is one validator's agreement (ppm) with the medians (sorted by index):
// each median tx contributes PPM minus the clipped distance of the validator's
// score from it (ClippedLoss), 0 when the validator did not score the tx.
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

// ClippedLoss is the ppm lost for a score s against median m: the score is clipped
// into [m-Tolerance, m+Tolerance] and each risk point clipped away costs 1000 ppm
// (so a score 1000 points off loses everything).
func ClippedLoss(s, m uint32) uint32 {
	d := s - m
	if s < m {
		d = m - s
	}
	if d <= Tolerance {
		return 0
	}
	return min(d-Tolerance, MaxRisk) * (PPM / MaxRisk)
}

// majorityHash is the scored block hash backed by the most power (ties: smallest).
func majorityHash(vs []Vote) []byte {
	type backed struct {
		hash  []byte
		power int64
	}
	var hs []backed
	for _, v := range vs {
		if v.Ext == nil {
			continue
		}
		k := slices.IndexFunc(hs, func(b backed) bool { return bytes.Equal(b.hash, v.Ext.ScoredBlockHash) })
		if k < 0 {
			hs = append(hs, backed{v.Ext.ScoredBlockHash, 0})
			k = len(hs) - 1
		}
		hs[k].power += v.Power
	}
	var best []byte
	var bestPower int64 = -1
	for _, b := range hs {
		if b.power > bestPower || (b.power == bestPower && bytes.Compare(b.hash, best) < 0) {
			best, bestPower = b.hash, b.power
		}
	}
	return best
}

func cmpU32(a, b uint32) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}
