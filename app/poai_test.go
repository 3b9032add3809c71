package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/poai"
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

// poaiGenesis is the app_state of a chain whose PoAI genesis validators are set's
// validators (their consensus keys, stake = power × poai.PowerReduction, operator
// testutil.NewAccount(100+i)), with accs funded; params edits the poai params.
func poaiGenesis(accs []*testutil.Account, set *voteexttest.Set, params func(*poai.Params)) json.RawMessage {
	base := testutil.GenesisAppState(accs, 1_000_000)
	state := map[string]json.RawMessage{}
	if err := json.Unmarshal(base, &state); err != nil {
		panic(err)
	}
	gs := poai.DefaultGenesis()
	for i, v := range set.Vals {
		pub := v.Priv.PubKey()
		op := testutil.NewAccount(100 + i).Addr
		proof, err := poai.SignKeyProof(v.Priv, testutil.ChainID, op)
		if err != nil {
			panic(err)
		}
		gs.Validators = append(gs.Validators, poai.Validator{
			OperatorAddress:   op.String(),
			ConsensusKey:      poai.ConsensusKeyFromPubKey(pub),
			ConsensusAddress:  pub.Address(),
			SelfStake:         uint64(v.Power) * poai.PowerReduction,
			ModelName:         "builtin",
			Moniker:           "val",
			ConsensusKeyProof: proof,
		})
	}
	if params != nil {
		params(&gs.Params)
	}
	raw, err := runtime.MarshalGenesis(&gs)
	if err != nil {
		panic(err)
	}
	state[poai.ModuleName] = raw
	bz, err := json.Marshal(state)
	if err != nil {
		panic(err)
	}
	return bz
}

// newPoAIApp opens an app on db (memdb when nil) whose genesis enables vote
// extensions from veHeight (0 = never), as selfchaind init writes it (1).
func newPoAIApp(t testing.TB, db dbm.DB, cfg app.Config, appState json.RawMessage, veHeight int64) *testutil.TestApp {
	if db == nil {
		db = dbm.NewMemDB()
	}
	a, err := app.New(nil, db, cfg)
	require.NoError(t, err)
	ta := &testutil.TestApp{App: a, TB: t, DB: db, Time: time.Unix(1_700_000_000, 0).UTC(), Rules: testutil.NewCometBFTRules()}
	res, err := a.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: testutil.ChainID, InitialHeight: 1, Time: ta.Time, AppStateBytes: appState,
		ConsensusParams: &cmtproto.ConsensusParams{Abci: &cmtproto.ABCIParams{VoteExtensionsEnableHeight: veHeight},
			Validator: &cmtproto.ValidatorParams{PubKeyTypes: []string{"ed25519", "ml_dsa_65"}}},
	})
	require.NoError(t, err)
	require.NoError(t, ta.Rules.InitChain(res))
	return ta
}

// poaiFlagThreshold is the flag threshold of the pipeline tests: the burst of the
// end-to-end test passes it, an ordinary send does not.
const poaiFlagThreshold = 100

// poaiRateLimitWindow is the rate-limit window of the pipeline tests (blocks).
const poaiRateLimitWindow = 3

// poaiScoreWindow is the score window of the pipeline tests (blocks): block h's
// reputation is settled at h+3.
const poaiScoreWindow = 2

func pipelineParams(p *poai.Params) {
	p.FlagThreshold = poaiFlagThreshold
	p.RateLimitWindow = poaiRateLimitWindow
	p.ScoreWindow = poaiScoreWindow
}

func newPoAINet(t *testing.T, accs []*testutil.Account, set *voteexttest.Set) *poaiNet {
	ta := newPoAIApp(t, nil, testutil.Config(), poaiGenesis(accs, set, pipelineParams), 1)
	t.Cleanup(func() { _ = ta.Close() })
	return &poaiNet{t: t, ta: ta, set: set}
}

// validators is every PoAI validator by consensus address.
func (n *poaiNet) validators() map[string]poai.Validator {
	var res poai.QueryValidatorsResponse
	n.ta.MustQuery("/selfchain.poai.v1.Query/Validators", &poai.QueryValidatorsRequest{}, &res)
	out := map[string]poai.Validator{}
	for _, v := range res.Validators {
		out[string(v.ConsensusAddress)] = v
	}
	return out
}

// flagged is every flagged tx record.
func flagged(ta *testutil.TestApp) []poai.FlaggedTx {
	var res poai.QueryFlaggedTxsResponse
	ta.MustQuery("/selfchain.poai.v1.Query/FlaggedTxs", &poai.QueryFlaggedTxsRequest{}, &res)
	return res.Txs
}

// blockTxs is what the keeper stored for block height (nil when none).
func blockTxs(t *testing.T, ta *testutil.TestApp, height int64) *poai.StoredBlockTxs {
	ctx, err := ta.CommittedContext()
	require.NoError(t, err)
	v, err := ta.PoaiKeeper.BlockTxs.Get(ctx, height)
	if err != nil {
		return nil
	}
	return &v
}

// block proposes, checks, finalizes and commits the next block from mempool.
func (n *poaiNet) block(mempool ...[]byte) *abci.ResponseFinalizeBlock {
	t, ta := n.t, n.ta
	h := ta.Height + 1
	preq := &abci.RequestPrepareProposal{Height: h, Txs: mempool, MaxTxBytes: 1 << 22, LocalLastCommit: n.commit}
	prep, err := ta.PrepareProposal(context.Background(), preq)
	require.NoError(t, err)
	require.NoError(t, ta.Rules.PrepareProposal(preq, prep))
	last := voteexttest.LastCommit(n.commit)
	proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: h, Txs: prep.Txs, ProposedLastCommit: last})
	require.NoError(t, err)
	require.NoError(t, ta.Rules.ProcessProposal(proc))
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status, "height %d", h)
	ta.Time = ta.Time.Add(1e9)
	freq := &abci.RequestFinalizeBlock{
		Height: h, Time: ta.Time, Txs: prep.Txs, DecidedLastCommit: last, Hash: blockHash(h), ProposerAddress: n.set.Vals[0].Addr,
	}
	res, err := ta.FinalizeBlock(context.Background(), freq)
	require.NoError(t, err)
	ta.CheckFinalize(freq, res)
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
	require.NoError(n.t, n.ta.Rules.ExtendVote(res))
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
	stored := blockTxs(t, n.ta, 2)
	require.NotNil(t, stored, "the keeper holds block 2's tx list")
	require.Len(t, stored.Txs, len(txs), "the injected tx is not part of the block's tx list")
	require.Equal(t, []byte(accs[0].Addr), stored.Txs[0].Sender)
	before := n.validators()

	// Validators vote on height 2 scoring height 1 (empty block); then height 3's
	// commit scores height 2. Validator 3 (10 power) is dishonest, validator 2 absent
	// (and it never reports block 2 later either).
	own := n.vote(nil, nil)
	require.NotEmpty(t, own)
	n.block()
	silent2 := func(i int, own []byte) []byte {
		if i == 2 {
			return nil
		}
		return own
	}
	own = n.vote(func(i int, own []byte) []byte {
		if i == 3 {
			return voteexttest.Extension(2, blockHash(2), 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000)
		}
		return own
	}, func(i int) bool { return i == 2 })
	ext, err := voteext.DecodeExtension(own)
	require.NoError(t, err)
	require.Len(t, ext.Blocks, 2, "block 1 (recorded at 3, the node has no address to tell it is done) and block 2")
	ve := ext.Blocks[1]
	require.Equal(t, int64(2), ve.Height)
	require.Equal(t, blockHash(2), ve.BlockHash)
	require.Len(t, ve.Risks, len(txs))
	require.Greater(t, ve.Risks[9], ve.Risks[10], "the burst sender scores above the ordinary send")

	n.block() // height 4 records the scores of height 2: 80 of 100 power, so its medians are decided
	// The medians are the honest majority's scores: exactly the txs whose honest
	// score passes the threshold are flagged, the ordinary send is not.
	var want []uint32
	for i, r := range ve.Risks {
		if r >= poaiFlagThreshold {
			want = append(want, uint32(i))
		}
	}
	require.NotEmpty(t, want, "the burst passes the flag threshold (scores %v)", ve.Risks)
	require.Less(t, ve.Risks[10], uint32(poaiFlagThreshold), "the ordinary send stays under it")
	var got []uint32
	for _, f := range flagged(n.ta) {
		require.Equal(t, int64(2), f.Height)
		require.Equal(t, ve.Risks[f.Index], f.Risk, "recorded risk = the honest median")
		require.Equal(t, accs[0].Addr.String(), f.Sender)
		require.Equal(t, int64(4)+poaiRateLimitWindow, f.RateLimitedUntil, "flagged at height 4 for rate_limit_window blocks")
		got = append(got, f.Index)
	}
	require.Equal(t, want, got)

	// Reputation moves when block 2 leaves the window (at 2+W+1 = 5): the honest
	// validators keep full agreement; the dishonest one (agreement under the clip
	// threshold) and the absent one (never scored it) lose it.
	require.Equal(t, before[string(set.Vals[3].Addr)].AgreementAvg, n.validators()[string(set.Vals[3].Addr)].AgreementAvg, "not before the window closes")
	n.vote(silent2, nil)
	n.block()
	after := n.validators()
	for i := range set.Vals {
		require.Contains(t, after, string(set.Vals[i].Addr))
	}
	honest, absent, dishonest := after[string(set.Vals[0].Addr)], after[string(set.Vals[2].Addr)], after[string(set.Vals[3].Addr)]
	require.Equal(t, uint32(poai.PPM), honest.AgreementAvg)
	require.Equal(t, uint32(poai.PPM), after[string(set.Vals[1].Addr)].AgreementAvg)
	require.Less(t, dishonest.AgreementAvg, before[string(set.Vals[3].Addr)].AgreementAvg)
	require.Less(t, absent.AgreementAvg, before[string(set.Vals[2].Addr)].AgreementAvg)
	require.Less(t, absent.SignedAvg, honest.SignedAvg, "the absent vote also counts as a missed block")
	require.Greater(t, honest.Reputation, dishonest.Reputation)
	require.Greater(t, honest.Reputation, absent.Reputation)
	// The record says which model each validator's extension actually named and
	// how far behind its last scored block lies.
	require.Equal(t, int64(3), honest.LastScoredHeight, "the vote for 4 (in block 5) carried block 3")
	require.Equal(t, int64(1), honest.ReportLagBlocks, "it reports each block in the next vote")
	require.Equal(t, ve.ModelId, honest.LastModelId)
	require.Equal(t, int64(1), absent.LastScoredHeight, "it last reported block 1, in the vote for 2")
	var vr poai.QueryValidatorResponse
	n.ta.MustQuery("/selfchain.poai.v1.Query/Validator", &poai.QueryValidatorRequest{OperatorAddress: honest.OperatorAddress}, &vr)
	require.Equal(t, honest, vr.Validator)

	// The flagged sender is rate-limited by the ante pipeline; others are not.
	ct := n.ta.CheckTx(testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{}))
	accs[0].Seq-- // refused: the sequence did not move
	require.Equal(t, poai.ModuleName, ct.Codespace, ct.Log)
	require.Equal(t, uint32(18), ct.Code, ct.Log)
	ct = n.ta.CheckTx(testutil.Send(accs[2], accs[3].Addr, 1, testutil.TxOpts{}))
	require.Equal(t, uint32(0), ct.Code, ct.Log)
	// In a block too: the tx fails with poai/18 and changes nothing of the sender.
	n.vote(nil, nil)
	bal := n.ta.Balance(accs[0].Addr, testutil.Denom)
	res = n.block(testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{}))
	accs[0].Seq--
	require.Equal(t, uint32(18), res.TxResults[1].Code, res.TxResults[1].Log)
	require.True(t, bal.Equal(n.ta.Balance(accs[0].Addr, testutil.Denom)), "no fee, no transfer")
	// Once the window (flagged at 4, until 4+3) has passed, the sender is accepted again.
	require.Equal(t, int64(6), n.ta.Height)
	n.vote(nil, nil)
	n.block()
	ct = n.ta.CheckTx(testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{}))
	require.Equal(t, uint32(0), ct.Code, ct.Log)
}

// Stopping and resuming a chain costs nobody reputation: every node loses the
// reports it had not yet put in a vote, so nobody reports the last blocks before
// the stop, and a block nobody scored within its window moves no agreement. A
// report that misses one vote but rides a later one inside the window counts; a
// validator that alone never reports a block within the window loses agreement.
func TestPoAIResumeCostsNoReputation(t *testing.T) {
	accs := poaiAccounts(4)
	set := voteexttest.NewSet(13, []int64{40, 30, 20, 10}, false, true)
	n := newPoAINet(t, accs, set)
	n.block()
	for i := 0; i < 3; i++ {
		n.vote(nil, nil)
		n.block(testutil.Send(accs[i], accs[3].Addr, 100, testutil.TxOpts{}))
	}
	for i := 0; i <= poaiScoreWindow+1; i++ { // settle what is pending
		n.vote(nil, nil)
		n.block()
	}
	before := n.validators()
	everyone := func(int, []byte) []byte { return nil }

	// The chain stops after block H and resumes: nobody has reports for the last
	// blocks any more; the votes are empty for as long as those blocks are in
	// the window (later blocks are reported as usual).
	h := n.ta.Height
	for i := 0; i <= poaiScoreWindow; i++ {
		n.vote(everyone, nil)
		n.block()
	}
	require.Greater(t, n.ta.Height, h+poaiScoreWindow, "block H's window is closed")
	after := n.validators()
	for _, v := range set.Vals {
		b, a := before[string(v.Addr)], after[string(v.Addr)]
		require.Equal(t, b.AgreementAvg, a.AgreementAvg, "agreement of %X", v.Addr)
		require.Equal(t, b.Reputation, a.Reputation, "reputation of %X", v.Addr)
	}

	for i := 0; i <= poaiScoreWindow+1; i++ { // every block reported again
		n.vote(nil, nil)
		n.block()
	}
	after = n.validators()

	// Validator 1 misses one vote only: its report rides the next one, in the window.
	n.vote(func(i int, own []byte) []byte {
		if i == 1 {
			return nil
		}
		return own
	}, nil)
	n.block()
	for i := 0; i <= poaiScoreWindow+1; i++ {
		n.vote(nil, nil)
		n.block()
	}
	late := n.validators()
	require.Equal(t, after[string(set.Vals[1].Addr)].AgreementAvg, late[string(set.Vals[1].Addr)].AgreementAvg)

	// Validator 1 alone never reports while the others do: it loses agreement.
	silent1 := func(i int, own []byte) []byte {
		if i == 1 {
			return nil
		}
		return own
	}
	for i := 0; i <= poaiScoreWindow+1; i++ {
		n.vote(silent1, nil)
		n.block()
	}
	last := n.validators()
	require.Less(t, last[string(set.Vals[1].Addr)].AgreementAvg, late[string(set.Vals[1].Addr)].AgreementAvg)
	require.Equal(t, late[string(set.Vals[0].Addr)].AgreementAvg, last[string(set.Vals[0].Addr)].AgreementAvg)
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
	n.vote(nil, nil)
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

// failingKeeper is x/poai's keeper refusing SetBlockTxs (FinalizeBlock's records).
type failingKeeper struct{ poai.Keeper }

func (failingKeeper) SetBlockTxs(context.Context, int64, []byte, []voteext.BlockTx) error {
	return errors.New("keeper refuses")
}

// A keeper that refuses FinalizeBlock's records does not halt the chain: the block
// still executes (its txs and the injected commit's result are unaffected) and no
// PoAI record of the block is written.
func TestPoAIKeeperErrorDoesNotHaltTheChain(t *testing.T) {
	accs := poaiAccounts(2)
	set := voteexttest.NewSet(18, []int64{1})
	n := newPoAINet(t, accs, set)
	n.block()
	n.vote(nil, nil)
	n.ta.SetPoAIStateForTest(failingKeeper{n.ta.PoaiKeeper})
	res := n.block(testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{}))
	require.Len(t, res.TxResults, 2)
	require.Equal(t, uint32(0), res.TxResults[0].Code)
	require.Equal(t, uint32(0), res.TxResults[1].Code, res.TxResults[1].Log)
	require.Nil(t, blockTxs(t, n.ta, 2))
	require.NotNil(t, blockTxs(t, n.ta, 1), "earlier records stay")
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
		require.NoError(t, n.ta.Rules.VerifyVoteExtension(res))
		return res.Status
	}
	accept, reject := abci.ResponseVerifyVoteExtension_ACCEPT, abci.ResponseVerifyVoteExtension_REJECT
	require.Equal(t, accept, verify(nil, 2), "empty")
	require.Equal(t, accept, verify(voteexttest.Extension(1, blockHash(1), 1000, 0, 1000), 2), "wild disagreeing scores")
	require.Equal(t, accept, verify(voteexttest.Extension(1, blockHash(1), 5), 3), "a lagged report (block 1 in the vote for 3)")
	require.Equal(t, reject, verify(voteexttest.Extension(2, blockHash(2), 5), 2), "a block not before the vote")
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

// The injected-commit path follows the genesis vote-extension enable height. A
// chain whose genesis turned extensions off (an old .devnet) runs blocks with
// last-commit votes normally: nothing is injected, nothing expected; the height is
// kept across a restart. One with extensions on from height 1 requires the
// injected commit from height 2.
func TestPoAIVoteExtensionEnableHeight(t *testing.T) {
	accs := poaiAccounts(3)
	set := voteexttest.NewSet(16, []int64{1})
	db := dbm.NewMemDB()
	off := newPoAIApp(t, db, testutil.Config(), poaiGenesis(accs, set, nil), 0)
	require.Equal(t, int64(0), off.VoteExtensionsEnableHeight())
	for h := int64(1); h <= 3; h++ {
		var last abci.CommitInfo
		var local abci.ExtendedCommitInfo
		if h > 1 {
			local = set.Commit(testutil.ChainID, h-1, 0, nil, nil)
			last = voteexttest.LastCommit(local)
		}
		send := testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{})
		prep, err := off.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Height: h, Txs: [][]byte{send}, MaxTxBytes: 1 << 20, LocalLastCommit: local})
		require.NoError(t, err)
		require.Equal(t, [][]byte{send}, prep.Txs, "nothing injected at height %d", h)
		proc, err := off.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: h, Txs: prep.Txs, ProposedLastCommit: last})
		require.NoError(t, err)
		require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status, "height %d", h)
		off.Time = off.Time.Add(time.Second)
		res, err := off.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: h, Time: off.Time, Txs: prep.Txs, DecidedLastCommit: last, Hash: blockHash(h), ProposerAddress: set.Vals[0].Addr})
		require.NoError(t, err)
		require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
		_, err = off.Commit(context.Background(), &abci.RequestCommit{})
		require.NoError(t, err)
		off.Height = h
	}
	// After a restart the recorded height (0 = never) still decides.
	require.NoError(t, off.App.Close())
	reopened, err := app.New(nil, db, testutil.Config())
	require.NoError(t, err)
	t.Cleanup(func() { _ = reopened.Close() })
	require.Equal(t, int64(0), reopened.VoteExtensionsEnableHeight())
	local := set.Commit(testutil.ChainID, 3, 0, nil, nil)
	prep, err := reopened.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Height: 4, MaxTxBytes: 1 << 20, LocalLastCommit: local})
	require.NoError(t, err)
	require.Empty(t, prep.Txs)

	// Extensions on from height 1: height 1 has no commit to inject; from height 2
	// a proposal without the injected commit is rejected.
	on := newPoAINet(t, accs, set)
	require.Equal(t, int64(1), on.ta.VoteExtensionsEnableHeight())
	on.block()
	on.vote(nil, nil)
	proc, err := on.ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: 2,
		Txs: [][]byte{testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{})}, ProposedLastCommit: voteexttest.LastCommit(on.commit)})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_REJECT, proc.Status)
	res := on.block()
	require.Len(t, res.TxResults, 1, "block 2 holds the injected commit")

	// Extensions from height 5: blocks up to 5 carry no commit, block 6 does.
	later := newPoAIApp(t, nil, testutil.Config(), poaiGenesis(accs, set, nil), 5)
	t.Cleanup(func() { _ = later.Close() })
	for h, want := range map[int64]bool{2: false, 5: false, 6: true} {
		local := set.Commit(testutil.ChainID, h-1, 0, nil, nil)
		prep, err := later.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Height: h, MaxTxBytes: 1 << 20, LocalLastCommit: local})
		require.NoError(t, err)
		require.Equal(t, want, len(prep.Txs) == 1, "height %d", h)
	}
}

// PrepareProposal never returns an error (an ABCI error would crash the node): an
// extended commit too large for the block's tx budget gives an empty proposal,
// which ProcessProposal rejects, so only the round fails.
func TestPoAIPrepareProposalTooLargeCommit(t *testing.T) {
	accs := poaiAccounts(2)
	set := voteexttest.NewSet(19, []int64{1})
	n := newPoAINet(t, accs, set)
	n.block()
	n.vote(nil, nil)
	inj, err := voteext.EncodeInjectedTx(&n.commit)
	require.NoError(t, err)
	send := testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{})
	prep, err := n.ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Height: 2, Txs: [][]byte{send}, MaxTxBytes: int64(len(inj)) - 1, LocalLastCommit: n.commit})
	require.NoError(t, err)
	require.Empty(t, prep.Txs)
	proc, err := n.ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: 2, Txs: prep.Txs, ProposedLastCommit: voteexttest.LastCommit(n.commit)})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_REJECT, proc.Status)
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
	require.NotEmpty(t, flagged(n.ta), "the run flags txs")

	n.replayOnFreshApp(poaiGenesis(poaiAccounts(8), set, pipelineParams))
	noisy := n.validators()[string(set.Vals[2].Addr)]
	require.Less(t, noisy.AgreementAvg, uint32(poai.PPM), "the noisy validator lost agreement")
}

// Four validators with different model latencies — at once, two blocks late (a
// model answering in about two block times), never, and dishonest at once — on a
// window of 4: the lagged honest one keeps full agreement, the silent and the
// dishonest lose it, and a fresh app replaying the blocks reaches the same app
// hash at every height, with the same flags and reputations.
func TestPoAIMixedLatenciesDeterminism(t *testing.T) {
	accs := poaiAccounts(8)
	set := voteexttest.NewSet(19, []int64{40, 30, 20, 10}, false, true)
	params := func(p *poai.Params) { pipelineParams(p); p.ScoreWindow = 4 }
	ta := newPoAIApp(t, nil, testutil.Config(), poaiGenesis(accs, set, params), 1)
	t.Cleanup(func() { _ = ta.Close() })
	n := &poaiNet{t: t, ta: ta, set: set}
	byPower := func(power int64) int {
		for i, v := range set.Vals {
			if v.Power == power {
				return i
			}
		}
		t.Fatal("no such validator")
		return -1
	}
	fast, slow, silent, liar := byPower(40), byPower(30), byPower(20), byPower(10)
	var owns [][]byte
	n.block()
	for i, txs := range randomBlocks(7, accs, 10, 12) {
		n.vote(func(v int, own []byte) []byte {
			if v == fast {
				owns = append(owns, own)
			}
			switch v {
			case slow:
				if i < 2 {
					return nil
				}
				return owns[i-2] // what it finished two votes ago
			case silent:
				return nil
			case liar:
				return invertScores(t, own)
			}
			return own
		}, nil)
		n.block(txs...)
	}
	for i := 0; i < 6; i++ { // settle every block
		n.vote(func(v int, own []byte) []byte {
			if v == silent {
				return nil
			}
			return own
		}, nil)
		n.block()
	}
	vals := n.validators()
	require.Equal(t, uint32(poai.PPM), vals[string(set.Vals[fast].Addr)].AgreementAvg)
	require.Equal(t, uint32(poai.PPM), vals[string(set.Vals[slow].Addr)].AgreementAvg, "two blocks late, inside the window")
	require.Less(t, vals[string(set.Vals[silent].Addr)].AgreementAvg, uint32(poai.PPM))
	require.Less(t, vals[string(set.Vals[liar].Addr)].AgreementAvg, uint32(poai.PPM))

	n.replayOnFreshApp(poaiGenesis(poaiAccounts(8), set, params))
}

// replayOnFreshApp replays the net's blocks into a fresh app with the same
// genesis (its own keeper) and no analyzer: the app hash at every height, the
// flagged txs and the validators must be the same.
func (n *poaiNet) replayOnFreshApp(appState json.RawMessage) {
	t := n.t
	cfg := testutil.Config()
	cfg.PoAI.Analyzer = "off"
	b := newPoAIApp(t, nil, cfg, appState, 1)
	t.Cleanup(func() { _ = b.Close() })
	for _, blk := range n.blocks {
		b.Time = b.Time.Add(1e9)
		res, err := b.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: blk.height, Time: b.Time, Txs: blk.txs, DecidedLastCommit: blk.last, Hash: blk.hash, ProposerAddress: n.set.Vals[0].Addr})
		require.NoError(t, err)
		require.Equal(t, blk.appHash, res.AppHash, "app hash at height %d", blk.height)
		_, err = b.Commit(context.Background(), &abci.RequestCommit{})
		require.NoError(t, err)
	}
	require.Equal(t, flagged(n.ta), flagged(b))
	var va, vb poai.QueryValidatorsResponse
	n.ta.MustQuery("/selfchain.poai.v1.Query/Validators", &poai.QueryValidatorsRequest{}, &va)
	b.MustQuery("/selfchain.poai.v1.Query/Validators", &poai.QueryValidatorsRequest{}, &vb)
	require.Equal(t, va.Validators, vb.Validators)
}

// invertScores is ext with every risk r replaced by 1000-r: a dishonest validator.
func invertScores(t *testing.T, ext []byte) []byte {
	if len(ext) == 0 {
		return nil
	}
	ve, err := voteext.DecodeExtension(ext)
	require.NoError(t, err)
	for _, b := range ve.Blocks {
		for k := range b.Risks {
			b.Risks[k] = voteext.MaxRisk - b.Risks[k]
		}
	}
	bz, err := ve.Marshal()
	require.NoError(t, err)
	return bz
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

// A genesis whose validators' commits would not fit its blocks is refused at
// InitChain with what to change; CometBFT would otherwise panic at the first
// proposal (types.MaxDataBytes) or every proposal would be rejected.
func TestInitChainRefusesASetTooLargeForItsBlocks(t *testing.T) {
	accs := poaiAccounts(2)
	set := voteexttest.NewSet(31, []int64{10, 10, 10, 10}, true)
	a, err := app.New(nil, dbm.NewMemDB(), testutil.Config())
	require.NoError(t, err)
	defer a.Close()
	cp := &cmtproto.ConsensusParams{
		Block:     &cmtproto.BlockParams{MaxBytes: 32 << 10, MaxGas: -1},
		Evidence:  &cmtproto.EvidenceParams{MaxBytes: 4 << 10},
		Abci:      &cmtproto.ABCIParams{VoteExtensionsEnableHeight: 1},
		Validator: &cmtproto.ValidatorParams{PubKeyTypes: []string{"ed25519", "ml_dsa_65"}},
	}
	_, err = a.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: testutil.ChainID, InitialHeight: 1, Time: time.Unix(1_700_000_000, 0), ConsensusParams: cp,
		AppStateBytes: poaiGenesis(accs, set, nil),
	})
	require.ErrorContains(t, err, "genesis: 4 validators, but blocks of consensus block.max_bytes 32768 (evidence.max_bytes 4096) carry the commits of at most 1: raise block.max_bytes")
}
