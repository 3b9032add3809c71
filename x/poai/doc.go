// Package poai is Proof of AI's on-chain state: validators and their stake,
// params, reputation (fixed point), epochs and validator-set selection,
// slashing (double-sign and downtime), rewards, flagged txs and the rate limit
// the ante pipeline applies to their senders. The off-chain analyzer and the
// vote-extension format live in x/poai/voteext and x/poai/analyzer; they feed
// this keeper through SetBlockTxs, RecordScores and SettleScores (the score
// window, scoring.go), which decide medians, flags and reputation.
package poai
