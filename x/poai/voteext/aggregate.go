package voteext

import (
	"bytes"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/selfchain/selfchain/x/poai"
)

// Aggregation constants (fixed point; no floats anywhere).
const (
	// PPM is 1.0 in agreement units: x/poai's fixed point, which its keeper reads
	// AgreementSignal.Agreement in.
	PPM = poai.PPM
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
//     no medians agrees fully; a validator without one has Scored = false;
//   - no signals at all when no vote scored the block: a block nobody could judge
//     (every node just restarted and lost its unfinished report, say) is no
//     evidence against anyone, so it moves no reputation.
//
// Weights are the powers recorded in the commit; validators are iterated sorted by
// address, never through a map.
func Aggregate(votes []Vote) Result {
	if len(votes) > MaxCommitVotes { // VotesFromCommit never yields more; the packing below relies on it
		votes = votes[:MaxCommitVotes]
	}
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

	// Every (index, risk, voter) entry packed in one uint64 — index (< 2^20) in the
	// top bits, then risk (< 2^10), then the voter's position (< 2^20; at most
	// MaxCommitVotes voters, sorted by address) — so one integer sort groups the
	// entries by index and orders each group by risk, ties by address.
	var entries []uint64
	for vi, v := range vs {
		if v.Ext == nil {
			continue
		}
		for k, idx := range v.Ext.TxIndices {
			entries = append(entries, uint64(idx)<<40|uint64(v.Ext.Risks[k])<<20|uint64(vi))
		}
	}
	slices.Sort(entries)
	const mask20 = 1<<20 - 1
	idxOf := func(e uint64) uint32 { return uint32(e >> 40) }

	var res Result
	var risks []uint32
	var powers []int64
	for start := 0; start < len(entries); {
		idx := idxOf(entries[start])
		end := start
		var scoring int64
		risks, powers = risks[:0], powers[:0]
		for end < len(entries) && idxOf(entries[end]) == idx {
			e := entries[end]
			p := vs[e&mask20].Power
			scoring += p
			risks = append(risks, uint32(e>>20&mask20))
			powers = append(powers, p)
			end++
		}
		if scoring*2 > total {
			res.Risks = append(res.Risks, TxRisk{Index: idx, Risk: WeightedMedian(risks, powers)})
		}
		start = end
	}

	if !slices.ContainsFunc(vs, func(v Vote) bool { return v.Ext != nil }) {
		return res
	}
	res.Signals = make([]AgreementSignal, len(vs))
	for vi, v := range vs {
		sig := AgreementSignal{ConsAddress: v.Address}
		if v.Ext != nil {
			sig.Scored, sig.ModelID = true, v.Ext.ModelId
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
