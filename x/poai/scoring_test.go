package poai_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

// scoringEnv is a keeper with four validators (powers 40, 30, 20, 10) that runs
// FinalizeBlock's PoAI steps block by block, as the app does: the votes for the
// previous height are recorded, the block's window opens, due blocks settle.
type scoringEnv struct {
	*env
	t    *testing.T
	keys []cmtcrypto.PrivKey // by power, descending
	ops  []*testutil.Account
}

const scoringWindow = 4

func newScoringEnv(t *testing.T) *scoringEnv {
	s := &scoringEnv{t: t}
	var vals []poai.Validator
	for i, power := range []uint64{40, 30, 20, 10} {
		secret := sha256.Sum256([]byte(fmt.Sprintf("scoring/%d", i)))
		k := cmted25519.GenPrivKeyFromSecret(secret[:])
		op := testutil.NewAccount(40 + i)
		s.keys, s.ops = append(s.keys, k), append(s.ops, op)
		vals = append(vals, genVal(op.Addr.String(), k, power*poai.PowerReduction))
	}
	p := testParams(alice.Addr.String())
	p.ScoreWindow = scoringWindow
	p.FlagThreshold = 800
	p.RateLimitWindow = 5
	s.env = newEnvWith(t, []bank.Balance{{Address: alice.Addr.String(), Coins: types.Coins{types.NewCoin("uself", 1_000_000)}}},
		poai.GenesisState{Params: p, Validators: vals})
	updates, err := s.k.InitialValidatorUpdates(s.ctx(1), nil)
	require.NoError(t, err)
	require.Len(t, updates, 4)
	return s
}

func scoredHash(h int64) []byte {
	s := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("scored/"), uint64(h)))
	return s[:]
}

// scores is validator i's report on block h: risks for txs 0..len(risks)-1.
func (s *scoringEnv) scores(i int, h int64, risks ...uint32) poai.VoteScores {
	b := poai.BlockScores{Height: h, BlockHash: scoredHash(h), ModelID: fmt.Sprintf("model-%d", i), Risks: risks}
	for k := range risks {
		b.TxIndices = append(b.TxIndices, uint32(k))
	}
	return poai.VoteScores{ConsAddress: s.keys[i].PubKey().Address(), Blocks: []poai.BlockScores{b}}
}

// block runs height h: the votes (for h-1) are recorded, block h opens with two
// txs (alice's, then bob's), due blocks settle. It returns the dropped reports.
func (s *scoringEnv) block(h int64, votes ...poai.VoteScores) []string {
	ctx := s.ctx(h)
	dropped, err := s.k.RecordScores(ctx, h-1, votes)
	require.NoError(s.t, err)
	require.NoError(s.t, s.k.SetBlockTxs(ctx, h, scoredHash(h), []poai.BlockTx{{Hash: []byte("a"), Sender: alice.Addr}, {Hash: []byte("b"), Sender: bob.Addr}}))
	require.NoError(s.t, s.k.SettleScores(ctx))
	return dropped
}

func (s *scoringEnv) validator(i int) poai.Validator {
	v, found, err := s.k.ValidatorByConsAddr(s.ctx(1), s.keys[i].PubKey().Address())
	require.NoError(s.t, err)
	require.True(s.t, found)
	return v
}

func (s *scoringEnv) flagged(h int64) []poai.FlaggedTx {
	var out []poai.FlaggedTx
	for idx := uint32(0); idx < 2; idx++ {
		if f, err := s.k.Flagged.Get(s.ctx(h), collections.Join(h, idx)); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// Four validators score block 2 with different latencies: 0 (fast) reports it in
// the vote for 3, 1 (a model answering in 3 blocks) in the vote for 5, 2 never,
// 3 (dishonest) at once. Flags are decided once more than 2/3 of the power has
// reported (at block 6: 40+10 then +30 = 80 > 66), reputation when block 2
// leaves the window (block 2+W+1 = 7): the fast and the slow honest validators
// keep full agreement, the silent and the dishonest lose it.
func TestScoringWindowLaggedReports(t *testing.T) {
	s := newScoringEnv(t)
	before := []poai.Validator{s.validator(0), s.validator(1), s.validator(2), s.validator(3)}
	s.block(2)
	require.Empty(t, s.block(3))
	require.Empty(t, s.block(4, s.scores(0, 2, 900, 10), s.scores(3, 2, 0, 1000))) // votes for 3
	require.Empty(t, s.flagged(2), "50 of 100 power reported: not decided")
	s.block(5)
	require.Empty(t, s.block(6, s.scores(1, 2, 880, 30))) // the slow model, in the vote for 5
	fl := s.flagged(2)
	require.Len(t, fl, 1, "decided at 6: tx 0's median (880) passes the threshold, tx 1's does not")
	require.Equal(t, uint32(0), fl[0].Index)
	require.Equal(t, uint32(880), fl[0].Risk)
	require.Equal(t, int64(6), fl[0].FlaggedAt)
	limited, err := s.k.IsRateLimited(s.ctx(7), alice.Addr)
	require.NoError(t, err)
	require.True(t, limited, "the flag takes effect when decided")
	ps, err := s.k.PendingScores.Get(s.ctx(6), 2)
	require.NoError(t, err)
	require.Equal(t, int64(6), ps.DecidedAt)
	require.Equal(t, s.validator(0).AgreementAvg, before[0].AgreementAvg, "reputation waits for the window to close")

	s.block(7) // block 2 closes: 7 - W - 1 = 2
	_, err = s.k.PendingScores.Get(s.ctx(7), 2)
	require.Error(t, err, "closed blocks are forgotten")
	has, err := s.k.BlockTxs.Has(s.ctx(7), 2)
	require.NoError(t, err)
	require.False(t, has, "with their tx list")
	after := []poai.Validator{s.validator(0), s.validator(1), s.validator(2), s.validator(3)}
	require.Equal(t, uint32(poai.PPM), after[0].AgreementAvg)
	require.Equal(t, uint32(poai.PPM), after[1].AgreementAvg, "a slow model inside the window is not penalised")
	require.Less(t, after[2].AgreementAvg, before[2].AgreementAvg, "never reported within the window")
	require.Less(t, after[3].AgreementAvg, before[3].AgreementAvg, "dishonest")
	require.Equal(t, "model-1", after[1].LastModelId)
	require.Equal(t, int64(2), after[1].LastScoredHeight)
	require.Equal(t, int64(3), after[1].ReportLagBlocks, "block 2 in the vote for 5")
	require.Equal(t, int64(1), after[0].ReportLagBlocks)
	require.Zero(t, after[2].LastScoredHeight)
}

// A block nobody scored within the window (a resume, or every analyzer down)
// closes without moving anyone's reputation.
func TestScoringWindowNobodyReported(t *testing.T) {
	s := newScoringEnv(t)
	before := s.validator(2)
	for h := int64(2); h <= 2+scoringWindow+1; h++ {
		s.block(h)
	}
	_, err := s.k.PendingScores.Get(s.ctx(7), 2)
	require.Error(t, err, "closed")
	require.Equal(t, before, s.validator(2))
}

// What a validator's vote may carry that the chain does not take is dropped with
// a reason and changes nothing: blocks outside the window, another block's hash,
// txs the block does not have, a validator not expected to score it, a block not
// pending, a second report for the same block. Unreported is what a validator's
// next vote should still carry.
func TestScoringWindowDropsBadReports(t *testing.T) {
	s := newScoringEnv(t)
	for h := int64(2); h <= 4; h++ {
		s.block(h)
	}
	stranger := cmted25519.GenPrivKey()
	wrongHash := s.scores(0, 3, 1)
	wrongHash.Blocks[0].BlockHash = scoredHash(99)
	tooFar := s.scores(1, 3, 1, 2, 3) // block 3 has 2 txs
	future := s.scores(2, 4, 1)       // the vote for 4 cannot score 4
	noBlock := poai.VoteScores{ConsAddress: stranger.PubKey().Address(), Blocks: []poai.BlockScores{{Height: 3, BlockHash: scoredHash(3), ModelID: "m"}}}
	dropped := s.block(5, wrongHash, tooFar, future, noBlock)
	require.Len(t, dropped, 4, dropped)
	for _, want := range []string{"scores block", "scores tx 2 of a block of 2 txs", "outside the scoring window", "not a validator of that block"} {
		require.Condition(t, func() bool {
			for _, d := range dropped {
				if strings.Contains(d, want) {
					return true
				}
			}
			return false
		}, "a reason says %q: %v", want, dropped)
	}
	has, err := s.k.Reports.Has(s.ctx(5), collections.Join[int64, []byte](3, s.keys[0].PubKey().Address()))
	require.NoError(t, err)
	require.False(t, has, "nothing stored")

	// A first report counts, a repeat is ignored without a reason.
	require.Empty(t, s.block(6, s.scores(0, 4, 5, 5)))
	require.Empty(t, s.block(7, s.scores(0, 4, 999, 999)))
	r, err := s.k.Reports.Get(s.ctx(7), collections.Join[int64, []byte](4, s.keys[0].PubKey().Address()))
	require.NoError(t, err)
	require.Equal(t, []uint32{5, 5}, r.Risks)

	// Block 2 closed at 7 (W = 4): a late report for it is refused.
	dropped = s.block(8, s.scores(1, 2, 1, 1))
	require.Len(t, dropped, 1)
	require.Contains(t, dropped[0], "outside the scoring window")

	// Validator 0 reported 4 already: its next vote (for 9) still owes 5..8.
	got, err := s.k.Unreported(s.ctx(8), 9, s.keys[0].PubKey().Address(), []int64{3, 4, 5, 6, 7, 8})
	require.NoError(t, err)
	require.Equal(t, []int64{5, 6, 7, 8}, got)
	got, err = s.k.Unreported(s.ctx(8), 9, nil, []int64{3, 4, 5, 6, 7, 8})
	require.NoError(t, err)
	require.Equal(t, []int64{5, 6, 7, 8}, got, "4 is gone from the window too (9-4 = 5)")
}

// Whatever the votes carry, recording and settling never fail or panic and
// reputations stay in range: the scores come from validators and must never
// fail a block.
func FuzzScoringWindow(f *testing.F) {
	f.Add([]byte{0, 2, 0, 1, 0x03, 0xe8}, int64(3))
	f.Add([]byte{3, 0xff, 5, 0, 0, 0, 9, 9, 9}, int64(7))
	f.Fuzz(func(t *testing.T, data []byte, voteHeight int64) {
		s := newScoringEnv(t)
		s.block(2)
		s.block(3)
		var votes []poai.VoteScores
		for len(data) >= 6 {
			i := int(data[0]) % 5 // 4: not a validator
			addr := cmted25519.GenPrivKeyFromSecret([]byte{9}).PubKey().Address()
			if i < 4 {
				addr = s.keys[i].PubKey().Address()
			}
			h := int64(data[1] % 8)
			b := poai.BlockScores{Height: h, BlockHash: scoredHash(h), ModelID: "m"}
			if data[2]%3 == 0 {
				b.BlockHash = data[:2]
			}
			for k := 0; k < int(data[3]%4); k++ {
				b.TxIndices = append(b.TxIndices, uint32(k*int(data[4]%3)))
				b.Risks = append(b.Risks, uint32(data[5])*5)
			}
			votes = append(votes, poai.VoteScores{ConsAddress: addr, Blocks: []poai.BlockScores{b}})
			data = data[6:]
		}
		ctx := s.ctx(4)
		_, err := s.k.RecordScores(ctx, voteHeight, votes)
		require.NoError(t, err)
		for h := int64(4); h < 10; h++ {
			require.NoError(t, s.k.SettleScores(s.ctx(h)))
		}
		for i := range s.keys {
			v := s.validator(i)
			require.LessOrEqual(t, v.Reputation, uint32(poai.PPM))
			require.LessOrEqual(t, v.AgreementAvg, uint32(poai.PPM))
		}
	})
}

// A version-2 store (no score_window) gets the default window from the
// registered migration, as x/upgrade runs it; again is a no-op.
func TestMigrate2to3(t *testing.T) {
	s := newScoringEnv(t)
	ctx := s.ctx(2)
	p, err := s.k.GetParams(ctx)
	require.NoError(t, err)
	p.ScoreWindow = 0
	require.NoError(t, s.k.Params.Set(ctx, p))
	for i := 0; i < 2; i++ {
		_, err = runtime.NewManager(poai.NewModule(s.k)).RunMigrations(ctx, runtime.VersionMap{poai.ModuleName: 2})
		require.NoError(t, err)
		p, err = s.k.GetParams(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(poai.DefaultScoreWindow), p.ScoreWindow)
		require.NoError(t, p.Validate())
	}
}
