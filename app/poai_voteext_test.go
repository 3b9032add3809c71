package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/rand"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/poai/voteext"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

// poaiNet drives one app through the full ABCI 2.0 cycle of a validator set whose
// other members are simulated with real consensus keys: PrepareProposal (with the
// previous extended commit), ProcessProposal, FinalizeBlock, Commit, ExtendVote.
type poaiNet struct {
	t      *testing.T
	ta     *testutil.TestApp
	set    *voteexttest.Set
	commit abci.ExtendedCommitInfo // extended commit of ta.Height
	blocks []recordedBlock
}

// recordedBlock is what a syncing node receives: the decided block and its last commit.
type recordedBlock struct {
	height  int64
	txs     [][]byte
	last    abci.CommitInfo
	hash    []byte
	appHash []byte
}

func blockHash(h int64) []byte {
	s := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("block/"), uint64(h)))
	return s[:]
}

func newPoAINet(t *testing.T, accs []*testutil.Account, set *voteexttest.Set) *poaiNet {
	ta := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState(accs, 1_000_000))
	t.Cleanup(func() { _ = ta.Close() })
	require.NoError(t, ta.EnablePoAI(set.State))
	return &poaiNet{t: t, ta: ta, set: set}
}

// block proposes, checks, finalizes and commits the next block from mempool.
func (n *poaiNet) block(mempool ...[]byte) *abci.ResponseFinalizeBlock {
	t, ta := n.t, n.ta
	h := ta.Height + 1
	prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{
		Height: h, Txs: mempool, MaxTxBytes: 1 << 22, LocalLastCommit: n.commit,
	})
	require.NoError(t, err)
	last := voteexttest.LastCommit(n.commit)
	proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: h, Txs: prep.Txs, ProposedLastCommit: last})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status, "height %d", h)
	ta.Time = ta.Time.Add(1e9)
	res, err := ta.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Height: h, Time: ta.Time, Txs: prep.Txs, DecidedLastCommit: last, Hash: blockHash(h), ProposerAddress: n.set.Vals[0].Addr,
	})
	require.NoError(t, err)
	_, err = ta.Commit(context.Background(), &abci.RequestCommit{})
	require.NoError(t, err)
	ta.Height = h
	n.blocks = append(n.blocks, recordedBlock{height: h, txs: prep.Txs, last: last, hash: blockHash(h), appHash: res.AppHash})
	return res
}

// vote builds the extended commit of the last block: this node's own ExtendVote
// output is every validator's extension unless ext overrides it (i = position in
// the set); absent validators do not vote.
func (n *poaiNet) vote(ext func(i int, own []byte) []byte, absent func(i int) bool) []byte {
	h := n.ta.Height
	res, err := n.ta.ExtendVote(context.Background(), &abci.RequestExtendVote{Height: h, Hash: blockHash(h)})
	require.NoError(n.t, err)
	own := res.VoteExtension
	n.commit = n.set.Commit(testutil.ChainID, h, 0, func(i int) []byte {
		if ext != nil {
			return ext(i, own)
		}
		return own
	}, absent)
	return own
}

func poaiAccounts(n int) []*testutil.Account {
	accs := make([]*testutil.Account, n)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	return accs
}

// The whole pipeline on one node: extensions carry the analyzer's scores of the
// previous block, the next proposal injects the extended commit first, and
// FinalizeBlock records medians, agreement and the block's txs.
func TestPoAIPipelineEndToEnd(t *testing.T) {
	accs := poaiAccounts(6)
	set := voteexttest.NewSet(11, []int64{40, 30, 20, 10}, false, true) // ed25519 and ML-DSA-65 keys
	n := newPoAINet(t, accs, set)

	res := n.block() // height 1: no last commit, nothing injected
	require.Empty(t, res.TxResults)
	require.Empty(t, n.vote(nil, nil), "nothing to score before the first block")

	// Height 2: a burst from accs[0] (risky) and an ordinary send.
	var txs [][]byte
	for i := 0; i < 10; i++ {
		txs = append(txs, testutil.Send(accs[0], accs[1+i%5].Addr, 100, testutil.TxOpts{}))
	}
	txs = append(txs, testutil.Send(accs[2], accs[3].Addr, 100, testutil.TxOpts{}))
	res = n.block(txs...)
	require.Len(t, res.TxResults, 1+len(txs), "the injected commit of height 1 plus the txs")
	require.Equal(t, uint32(0), res.TxResults[0].Code)
	for _, r := range res.TxResults[1:] {
		require.Equal(t, uint32(0), r.Code, r.Log)
	}
	require.Len(t, set.State.BlockTxs[2], len(txs), "the injected tx is not part of the block's tx list")
	require.Equal(t, []byte(accs[0].Addr), set.State.BlockTxs[2][0].Sender)

	// Validators vote on height 2 scoring height 1 (empty block); then height 3's
	// commit scores height 2. Validator 3 (10 power) is dishonest, validator 2 absent.
	own := n.vote(nil, nil)
	require.NotEmpty(t, own)
	n.block()
	own = n.vote(func(i int, own []byte) []byte {
		if i == 3 {
			return voteexttest.Extension(2, blockHash(2), 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000)
		}
		return own
	}, func(i int) bool { return i == 2 })
	ve, err := voteext.DecodeExtension(own)
	require.NoError(t, err)
	require.Equal(t, int64(2), ve.ScoredHeight)
	require.Equal(t, blockHash(2), ve.ScoredBlockHash)
	require.Len(t, ve.Risks, len(txs))
	require.Greater(t, ve.Risks[9], ve.Risks[10], "the burst sender scores above the ordinary send")

	n.block()
	risks := set.State.Risks[2]
	require.Len(t, risks, len(txs))
	for i, r := range risks {
		require.Equal(t, voteext.TxRisk{Index: uint32(i), Risk: ve.Risks[i]}, r, "the honest majority's scores are the medians")
	}
	signals := set.State.Agreements[2]
	require.Len(t, signals, 4)
	byAddr := map[string]voteext.AgreementSignal{}
	for _, s := range signals {
		byAddr[string(s.ConsAddress)] = s
	}
	require.Equal(t, voteext.AgreementSignal{ConsAddress: set.Vals[0].Addr, Scored: true, Agreement: voteext.PPM}, byAddr[string(set.Vals[0].Addr)])
	require.Equal(t, voteext.AgreementSignal{ConsAddress: set.Vals[2].Addr}, byAddr[string(set.Vals[2].Addr)], "absent: not scored")
	dishonest := byAddr[string(set.Vals[3].Addr)]
	require.True(t, dishonest.Scored)
	require.Less(t, dishonest.Agreement, uint32(voteext.PPM/2))
	// Height 1 (empty) was scored by everyone who voted on height 2: full agreement.
	require.Len(t, set.State.Agreements[1], 4)
	require.Empty(t, set.State.Risks[1])
}

// Property: whatever the mempool holds and whatever budget CometBFT gives, the
// proposal PrepareProposal builds around an extended commit CometBFT can produce
// (some votes absent or empty, a bad one pruned) is accepted by ProcessProposal
// and fits the budget.
func TestPoAIPrepareProposalIsAlwaysAccepted(t *testing.T) {
	accs := poaiAccounts(4)
	set := voteexttest.NewSet(12, []int64{25, 25, 25, 25, 1}, true, false)
	n := newPoAINet(t, accs, set)
	n.block()
	n.block()
	rng := newRand(3)
	for round := 0; round < 60; round++ {
		h := n.ta.Height
		// What CometBFT can hand the proposer: > 2/3 of the power with signed
		// extensions (it verified each), some absent, empty or disagreeing ones; plus
		// the small validator's vote gone bad (malformed or a bad signature), which
		// the proposer must prune.
		c := set.Commit(testutil.ChainID, h, int32(rng.Intn(3)), func(i int) []byte {
			switch rng.Intn(4) {
			case 0:
				return nil
			case 1:
				if i == 4 {
					return []byte{0xde, 0xad} // malformed: pruned by the proposer
				}
				return nil
			default:
				return voteexttest.Extension(h-1, blockHash(h-1), uint32(rng.Intn(1001)))
			}
		}, func(i int) bool { return i == round%4 && round%3 == 0 })
		if rng.Intn(5) == 0 { // a signature gone bad in transit: pruned
			c.Votes[4].BlockIdFlag = cmtproto.BlockIDFlagCommit
			c.Votes[4].ExtensionSignature = []byte("bogus")
		}
		var mempool [][]byte
		for i := rng.Intn(20); i > 0; i-- {
			if rng.Intn(4) == 0 {
				junk := make([]byte, rng.Intn(200))
				rng.Read(junk)
				mempool = append(mempool, junk)
				continue
			}
			mempool = append(mempool, testutil.Send(accs[rng.Intn(4)], accs[rng.Intn(4)].Addr, 1, testutil.TxOpts{}))
		}
		inj, _ := voteext.EncodeInjectedTx(&c)
		budget := int64(len(inj)) + int64(rng.Intn(3000))
		prep, err := n.ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Height: h + 1, Txs: mempool, MaxTxBytes: budget, LocalLastCommit: c})
		require.NoError(t, err)
		require.True(t, voteext.IsInjectedTx(prep.Txs[0]))
		var size int64
		for _, bz := range prep.Txs {
			size += int64(len(bz))
		}
		require.LessOrEqual(t, size, budget, "the injected commit counts against the budget")
		last := abci.CommitInfo{Round: c.Round}
		for _, v := range c.Votes {
			last.Votes = append(last.Votes, abci.VoteInfo{Validator: v.Validator, BlockIdFlag: v.BlockIdFlag})
		}
		proc, err := n.ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: h + 1, Txs: prep.Txs, ProposedLastCommit: last})
		require.NoError(t, err)
		require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status, "round %d", round)
	}
}

// ProcessProposal rejects a proposal that drops, moves, alters or forges the
// injected commit, or whose commit lacks 2/3 of signed extensions.
func TestPoAIProcessProposalRejects(t *testing.T) {
	accs := poaiAccounts(3)
	set := voteexttest.NewSet(13, []int64{30, 30, 30, 10}, false, true)
	n := newPoAINet(t, accs, set)
	n.block()
	n.vote(nil, nil)
	n.block()
	n.vote(nil, nil)
	h := n.ta.Height + 1
	good := n.commit
	last := voteexttest.LastCommit(good)
	send := testutil.Send(accs[0], accs[1].Addr, 5, testutil.TxOpts{})
	inj := func(c abci.ExtendedCommitInfo) []byte {
		bz, err := voteext.EncodeInjectedTx(&c)
		require.NoError(t, err)
		return bz
	}
	mut := func(f func(c *abci.ExtendedCommitInfo)) []byte {
		c := good
		c.Votes = append([]abci.ExtendedVoteInfo(nil), good.Votes...)
		f(&c)
		return inj(c)
	}
	forger := voteexttest.NewSet(99, []int64{30})
	before := n.ta.LastCommitID()
	for _, tc := range []struct {
		name string
		txs  [][]byte
		last abci.CommitInfo
	}{
		{"no txs at all", nil, last},
		{"commit dropped", [][]byte{send}, last},
		{"commit not first", [][]byte{send, inj(good)}, last},
		{"commit twice", [][]byte{inj(good), inj(good)}, last},
		{"altered extension", [][]byte{mut(func(c *abci.ExtendedCommitInfo) {
			c.Votes[1].VoteExtension = voteexttest.Extension(h-2, blockHash(h-2), 0)
		})}, last},
		{"forged signature", [][]byte{mut(func(c *abci.ExtendedCommitInfo) {
			c.Votes[0].ExtensionSignature = forger.Vals[0].SignExtension(testutil.ChainID, h-1, 0, c.Votes[0].VoteExtension)
		})}, last},
		{"duplicated validator", [][]byte{mut(func(c *abci.ExtendedCommitInfo) { c.Votes[1] = c.Votes[0] })}, last},
		{"inflated power", [][]byte{mut(func(c *abci.ExtendedCommitInfo) { c.Votes[3].Validator.Power = 90 })}, last},
		{"under 2/3 signed", [][]byte{mut(func(c *abci.ExtendedCommitInfo) {
			for i := 0; i < 2; i++ {
				c.Votes[i].VoteExtension, c.Votes[i].ExtensionSignature = nil, nil
			}
		})}, last},
		{"vote dropped", [][]byte{mut(func(c *abci.ExtendedCommitInfo) { c.Votes = c.Votes[1:] })}, last},
		{"garbled commit", [][]byte{append(append([]byte{}, voteext.InjectedTxMarker...), 0xff, 0xff)}, last},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proc, err := n.ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: h, Txs: tc.txs, ProposedLastCommit: tc.last})
			require.NoError(t, err)
			require.Equal(t, abci.ResponseProcessProposal_REJECT, proc.Status)
		})
	}
	require.Equal(t, before, n.ta.LastCommitID(), "rejected proposals change no state")
	proc, err := n.ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: h, Txs: [][]byte{inj(good), send}, ProposedLastCommit: last})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status, "the untouched proposal is accepted")
}

// A keeper that refuses FinalizeBlock's records does not halt the chain: the block
// still executes (its txs and the injected commit's result are unaffected).
func TestPoAIKeeperErrorDoesNotHaltTheChain(t *testing.T) {
	accs := poaiAccounts(2)
	set := voteexttest.NewSet(18, []int64{1})
	n := newPoAINet(t, accs, set)
	n.block()
	n.vote(nil, nil)
	set.State.Fail = true
	res := n.block(testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{}))
	require.Len(t, res.TxResults, 2)
	require.Equal(t, uint32(0), res.TxResults[0].Code)
	require.Equal(t, uint32(0), res.TxResults[1].Code, res.TxResults[1].Log)
	require.NotContains(t, set.State.BlockTxs, int64(2))
}

// VerifyVoteExtension rejects only malformed extensions, never disagreeing ones.
func TestPoAIVerifyVoteExtension(t *testing.T) {
	accs := poaiAccounts(2)
	set := voteexttest.NewSet(14, []int64{1})
	n := newPoAINet(t, accs, set)
	n.block()
	verify := func(ext []byte, height int64) abci.ResponseVerifyVoteExtension_VerifyStatus {
		res, err := n.ta.VerifyVoteExtension(context.Background(), &abci.RequestVerifyVoteExtension{Height: height, VoteExtension: ext, ValidatorAddress: set.Vals[0].Addr})
		require.NoError(t, err)
		return res.Status
	}
	accept, reject := abci.ResponseVerifyVoteExtension_ACCEPT, abci.ResponseVerifyVoteExtension_REJECT
	require.Equal(t, accept, verify(nil, 2), "empty")
	require.Equal(t, accept, verify(voteexttest.Extension(1, blockHash(1), 1000, 0, 1000), 2), "wild disagreeing scores")
	require.Equal(t, reject, verify(voteexttest.Extension(1, blockHash(1), 5), 3), "wrong height")
	require.Equal(t, reject, verify([]byte("garbage garbage"), 2), "garbled")
	require.Equal(t, reject, verify(make([]byte, voteext.MaxExtensionBytes+1), 2), "oversized")
}

// The consensus-only tx is refused by CheckTx with a clear error and no state change.
func TestPoAIInjectedTxRefusedByCheckTx(t *testing.T) {
	accs := poaiAccounts(2)
	set := voteexttest.NewSet(15, []int64{1})
	n := newPoAINet(t, accs, set)
	n.block()
	before := n.ta.LastCommitID()
	c := set.Commit(testutil.ChainID, 1, 0, nil, nil)
	bz, err := voteext.EncodeInjectedTx(&c)
	require.NoError(t, err)
	res := n.ta.CheckTx(bz)
	require.NotZero(t, res.Code)
	require.Contains(t, res.Log, "consensus-only PoAI extended-commit tx")
	require.Equal(t, before, n.ta.LastCommitID())
	// And a proposal cannot smuggle it anywhere but first: the block with it elsewhere is rejected.
	proc, err := n.ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: 2, Txs: [][]byte{bz, bz}, ProposedLastCommit: voteexttest.LastCommit(c)})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_REJECT, proc.Status)
}

// Without a PoAI state (until x/poai is wired in) the app sends empty extensions
// and injects nothing, even when CometBFT hands it an extended commit.
func TestPoAIOffWithoutState(t *testing.T) {
	ta, _ := newApp(t, 2)
	set := voteexttest.NewSet(16, []int64{1})
	res, err := ta.ExtendVote(context.Background(), &abci.RequestExtendVote{Height: 2})
	require.NoError(t, err)
	require.Empty(t, res.VoteExtension)
	c := set.Commit(testutil.ChainID, 1, 0, nil, nil)
	prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Height: 2, MaxTxBytes: 1 << 20, LocalLastCommit: c})
	require.NoError(t, err)
	require.Empty(t, prep.Txs)
	require.NoError(t, ta.EnablePoAI(nil))
}

// A second app fed the same decided blocks (extended commits included), as a
// syncing node is, reaches the same app hash at every height and hands its PoAI
// state exactly the same records.
func TestPoAIDeterminism(t *testing.T) {
	accs := poaiAccounts(8)
	set := voteexttest.NewSet(17, []int64{50, 30, 20}, true, false)
	n := newPoAINet(t, accs, set)
	blocks := randomBlocks(5, accs, 6, 15)
	n.block()
	for i, txs := range blocks {
		n.vote(func(v int, own []byte) []byte {
			if v == 2 && i%2 == 0 { // a noisy validator
				return voteexttest.Extension(n.ta.Height-1, blockHash(n.ta.Height-1), 999, 3, 500)
			}
			return own
		}, nil)
		n.block(txs...)
	}
	require.NotEmpty(t, set.State.Risks)

	// Replay into a fresh app with its own (empty) state double and no analyzer.
	replayState := voteexttest.NewState()
	for k, v := range set.State.Keys {
		replayState.Keys[k] = v
	}
	cfg := testutil.Config()
	cfg.PoAI.Analyzer = "off"
	b := testutil.NewTestApp(t, nil, cfg, testutil.GenesisAppState(poaiAccounts(8), 1_000_000))
	t.Cleanup(func() { _ = b.Close() })
	require.NoError(t, b.EnablePoAI(replayState))
	for _, blk := range n.blocks {
		b.Time = b.Time.Add(1e9)
		res, err := b.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: blk.height, Time: b.Time, Txs: blk.txs, DecidedLastCommit: blk.last, Hash: blk.hash, ProposerAddress: set.Vals[0].Addr})
		require.NoError(t, err)
		require.Equal(t, blk.appHash, res.AppHash, "app hash at height %d", blk.height)
		_, err = b.Commit(context.Background(), &abci.RequestCommit{})
		require.NoError(t, err)
	}
	require.Equal(t, set.State.Risks, replayState.Risks)
	require.Equal(t, set.State.Agreements, replayState.Agreements)
	require.Equal(t, set.State.BlockTxs, replayState.BlockTxs)
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }
