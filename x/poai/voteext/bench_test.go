package voteext_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/poai/analyzer"
	"github.com/selfchain/selfchain/x/poai/voteext"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

// block5000 is a committed block of 5,000 bank sends from 1,000 senders to 3,000
// recipients (some new), 3% failed: the shape of a busy block.
func block5000(h int64) analyzer.Block {
	hash := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(h)))
	b := analyzer.Block{Height: h, Hash: hash[:], Txs: make([]analyzer.TxSummary, 5000)}
	for i := range b.Txs {
		from := []byte(fmt.Sprintf("self1sender%06d", i%1000))
		to := []byte(fmt.Sprintf("self1recipient%06d", (i*7+int(h))%3000))
		b.Txs[i] = analyzer.TxSummary{
			Hash: sha256.Sum256(append(hash[:], byte(i), byte(i>>8))), Sender: from,
			MsgTypes:  []string{"/selfchain.bank.v1.MsgSend"},
			Transfers: []analyzer.Transfer{{From: from, To: to, Denom: "uself", Amount: uint64(1000 + (i*37)%5000)}},
			Success:   i%33 != 0, GasUsed: 60_000,
		}
	}
	return b
}

// BenchmarkExtendVote5000Txs is ExtendVote's path with the built-in analyzer on a
// 5,000-tx block: the node hands the committed block to the background analyzer
// (as Commit does) and ExtendVote waits for the report and encodes the extension.
// One op = one block, with the analyzer's history warm.
func BenchmarkExtendVote5000Txs(b *testing.B) {
	p := voteext.NewPipeline(analyzer.NewBuiltin(analyzer.BuiltinConfig{}), nil)
	defer p.Close()
	blocks := make([]analyzer.Block, 8)
	for i := range blocks {
		blocks[i] = block5000(int64(i + 1))
	}
	h := int64(0)
	for ; h < 3; h++ { // warm history
		blk := blocks[h%8]
		blk.Height = h + 1
		p.Submit(blk)
		p.Wait(h+1, 10*time.Second)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h++
		blk := blocks[h%8]
		blk.Height = h
		p.Submit(blk)
		rep, ok := p.Wait(h, 10*time.Second)
		if !ok {
			b.Fatal("no report")
		}
		ext, _, err := voteext.BuildExtension([]analyzer.Report{rep})
		if err != nil || len(ext) == 0 {
			b.Fatal(err)
		}
	}
}

// commit100 is the extended commit of 100 validators (half ML-DSA-65), each with
// a full extension (MaxScores scores of block 9).
func commit100(b *testing.B) (*abci.ExtendedCommitInfo, *voteexttest.Set) {
	powers := make([]int64, 100)
	for i := range powers {
		powers[i] = int64(100 + i)
	}
	set := voteexttest.NewSet(5, powers, false, true)
	risks := make([]uint32, 5000)
	rep := analyzer.Report{Height: 9, BlockHash: hash32, ModelID: analyzer.BuiltinModelID, Risks: risks}
	c := set.Commit(chainID, 10, 0, func(i int) []byte {
		for k := range risks {
			risks[k] = uint32((k*13 + i*7) % 1001)
		}
		bz, _, err := voteext.BuildExtension([]analyzer.Report{rep})
		if err != nil {
			b.Fatal(err)
		}
		return bz
	}, nil)
	return &c, set
}

// BenchmarkProcessProposalCommit100 is ProcessProposal's check of the injected
// commit of 100 validators: decode, 100 signature verifications, the 2/3 rule.
func BenchmarkProcessProposalCommit100(b *testing.B) {
	c, set := commit100(b)
	bz, _ := voteext.EncodeInjectedTx(c)
	last := voteexttest.LastCommit(*c)
	b.SetBytes(int64(len(bz)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := voteext.DecodeInjectedTx(bz)
		if err != nil {
			b.Fatal(err)
		}
		if err := voteext.ValidateExtendedCommit(context.Background(), set.State, chainID, 10, got, last); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScoresCommit100 is FinalizeBlock's reading of that commit and x/poai's
// medians over it: 100 extensions decoded, MaxScores weighted medians over 100
// validators.
func BenchmarkScoresCommit100(b *testing.B) {
	c, set := commit100(b)
	scorers := make([]poai.Scorer, len(set.Vals))
	var total int64
	for i, v := range set.Vals {
		scorers[i] = poai.Scorer{ConsensusAddress: v.Addr, Power: v.Power}
		total += v.Power
	}
	slices.SortFunc(scorers, func(a, b poai.Scorer) int { return bytes.Compare(a.ConsensusAddress, b.ConsensusAddress) })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reps := map[string]poai.StoredReport{}
		for _, v := range voteext.ScoresFromCommit(c) {
			blk := v.Blocks[0]
			reps[string(v.ConsAddress)] = poai.StoredReport{ModelId: blk.ModelID, TxIndices: blk.TxIndices, Risks: blk.Risks}
		}
		if m := poai.Medians(scorers, total, reps); len(m) != voteext.MaxScores {
			b.Fatal(len(m))
		}
	}
}
