package poai_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/mldsa65"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

// chain drives two fresh apps (pebbledb and an in-memory db) with identical
// requests, commit info and evidence included, and requires the same app hash
// after every block: every scenario is also a determinism test.
type chain struct {
	t      *testing.T
	apps   []*testutil.TestApp
	accs   []*testutil.Account
	height int64
	time   time.Time
}

var (
	genKey = cmted25519.GenPrivKeyFromSecret([]byte("poai-genesis-validator"))
	newKey = cmted25519.GenPrivKeyFromSecret([]byte("poai-new-validator"))
)

const (
	genStake = 10_000_000 // power 10
	newStake = 5_000_000  // power 5
)

func testParams(authority string) poai.Params {
	p := poai.DefaultParams()
	p.EpochLength = 5
	p.DowntimeWindow = 10
	p.MaxMissedBlocks = 5
	p.JailDuration = 4
	p.UnbondingPeriod = 3
	p.InflationPerBlock = 1000
	p.RateLimitWindow = 4
	p.Authority = authority
	return p
}

func newChain(t *testing.T, mutate ...func(*poai.GenesisState, []*testutil.Account)) *chain {
	t.Helper()
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1), testutil.NewAccount(2), testutil.NewAccount(3)}
	raw := testutil.GenesisAppState(accs, 100_000_000)
	state := map[string]json.RawMessage{}
	require.NoError(t, json.Unmarshal(raw, &state))
	gs := poai.GenesisState{Params: testParams(accs[0].Addr.String()), Validators: []poai.Validator{{
		OperatorAddress: accs[1].Addr.String(),
		ConsensusKey:    poai.ConsensusKeyFromPubKey(genKey.PubKey()),
		SelfStake:       genStake, ModelName: "builtin", Moniker: "genesis",
		ConsensusKeyProof: keyProof(genKey, accs[1].Addr.String()),
	}}}
	for _, m := range mutate {
		m(&gs, accs)
	}
	bz, err := runtime.MarshalGenesis(&gs)
	require.NoError(t, err)
	state[poai.ModuleName] = bz
	appState, err := json.Marshal(state)
	require.NoError(t, err)

	c := &chain{t: t, accs: accs, time: time.Unix(1_700_000_000, 0).UTC()}
	for _, backend := range []string{"pebbledb", "memdb"} {
		db, err := store.OpenDB(backend, "application", t.TempDir())
		require.NoError(t, err)
		cfg := testutil.Config()
		cfg.State.DBBackend = backend
		ta := testutil.NewTestApp(t, db, cfg, appState)
		t.Cleanup(func() { _ = ta.Close() })
		c.apps = append(c.apps, ta)
	}
	return c
}

// block finalizes and commits one block on every app; votes says who signed the previous one.
func (c *chain) block(votes []abci.VoteInfo, evidence []abci.Misbehavior, txs ...[]byte) *abci.ResponseFinalizeBlock {
	c.t.Helper()
	c.height++
	c.time = c.time.Add(time.Second)
	var first *abci.ResponseFinalizeBlock
	for _, ta := range c.apps {
		req := &abci.RequestFinalizeBlock{
			Height: c.height, Time: c.time, Txs: txs, ProposerAddress: genKey.PubKey().Address(),
			DecidedLastCommit: abci.CommitInfo{Votes: votes}, Misbehavior: evidence,
		}
		res, err := ta.FinalizeBlock(context.Background(), req)
		require.NoError(c.t, err)
		ta.CheckFinalize(req, res) // validator updates applied to a CometBFT ValidatorSet
		_, err = ta.Commit(context.Background(), &abci.RequestCommit{})
		require.NoError(c.t, err)
		if first == nil {
			first = res
			continue
		}
		require.Equal(c.t, first.AppHash, res.AppHash, "app hash differs at height %d", c.height)
		require.Equal(c.t, first.ValidatorUpdates, res.ValidatorUpdates)
		for i := range res.TxResults {
			require.Equal(c.t, first.TxResults[i].Code, res.TxResults[i].Code)
		}
	}
	return first
}

func vote(key cmted25519.PrivKey, power int64, signed bool) abci.VoteInfo {
	flag := cmtproto.BlockIDFlagCommit
	if !signed {
		flag = cmtproto.BlockIDFlagAbsent
	}
	return abci.VoteInfo{Validator: abci.Validator{Address: key.PubKey().Address(), Power: power}, BlockIdFlag: flag}
}

// until runs empty blocks (everyone signing per votes) until height h.
func (c *chain) until(h int64, votes []abci.VoteInfo) []*abci.ResponseFinalizeBlock {
	var out []*abci.ResponseFinalizeBlock
	for c.height < h {
		out = append(out, c.block(votes, nil))
	}
	return out
}

func (c *chain) validator(op *testutil.Account) poai.Validator {
	c.t.Helper()
	var res poai.QueryValidatorResponse
	c.apps[0].MustQuery("/selfchain.poai.v1.Query/Validator", &poai.QueryValidatorRequest{OperatorAddress: op.Addr.String()}, &res)
	return res.Validator
}

func (c *chain) tx(acc *testutil.Account, msg runtime.Msg) []byte {
	return testutil.SignTx(acc, testutil.TxOpts{}, msg)
}

// createMsg registers key for acc, with key's proof of possession.
func createMsg(acc *testutil.Account, key cmtcrypto.PrivKey, stake uint64) *poai.MsgCreateValidator {
	return &poai.MsgCreateValidator{
		OperatorAddress: acc.Addr.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(key.PubKey()),
		SelfStake: types.NewCoin("uself", stake), ModelName: "builtin-stat-v1", ModelHash: make([]byte, 32), Commission: 100_000,
		ConsensusKeyProof: keyProof(key, acc.Addr.String()),
	}
}

func powerOf(res *abci.ResponseFinalizeBlock, key cmted25519.PrivKey) (int64, bool) {
	for _, u := range res.ValidatorUpdates {
		if string(u.PubKey.GetEd25519()) == string(key.PubKey().Bytes()) {
			return u.Power, true
		}
	}
	return 0, false
}

func TestGenesisValidatorsBecomeTheInitialSet(t *testing.T) {
	c := newChain(t)
	c.block(nil, nil)
	require.Equal(t, poai.STATUS_BONDED, c.validator(c.accs[1]).Status)
	// The bonded pool holds the genesis stake (minted at genesis).
	require.Equal(t, uint64(genStake), c.apps[0].Balance(poai.BondedPool, "uself").Uint64())
}

// create-validator → epoch end → in the set (a third of the power at a time) → rewards → withdraw.
func TestCreateValidatorJoinsAtEpochCappedAndEarns(t *testing.T) {
	c := newChain(t)
	both := []abci.VoteInfo{vote(genKey, 10, true)}
	res := c.block(both, nil, c.tx(c.accs[2], createMsg(c.accs[2], newKey, newStake)))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, poai.STATUS_UNBONDED, c.validator(c.accs[2]).Status)

	blocks := c.until(5, both) // epoch end at 5
	last := blocks[len(blocks)-1]
	p, ok := powerOf(last, newKey)
	require.True(t, ok, "the epoch end sends the new validator to CometBFT")
	require.Equal(t, int64(3), p, "capped: a third of the old total power (10/3)")
	require.Equal(t, poai.STATUS_BONDED, c.validator(c.accs[2]).Status)
	var ep poai.QueryEpochResponse
	c.apps[0].MustQuery("/selfchain.poai.v1.Query/Epoch", &poai.QueryEpochRequest{}, &ep)
	require.True(t, ep.Epoch.Carried)

	both = append(both, vote(newKey, 3, true))
	blocks = c.until(10, both)
	p, ok = powerOf(blocks[len(blocks)-1], newKey)
	require.True(t, ok)
	require.Equal(t, int64(5), p, "the rest carried to the next epoch")

	v := c.validator(c.accs[2])
	require.NotZero(t, v.OutstandingRewards, "rewards paid at the epoch end")
	before := c.apps[0].Balance(c.accs[2].Addr, "uself").Uint64()
	res = c.block(both, nil, c.tx(c.accs[2], &poai.MsgWithdrawRewards{OperatorAddress: c.accs[2].Addr.String()}))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, before+v.OutstandingRewards, c.apps[0].Balance(c.accs[2].Addr, "uself").Uint64())
	require.Zero(t, c.validator(c.accs[2]).OutstandingRewards)

	var hist poai.QueryReputationHistoryResponse
	c.apps[0].MustQuery("/selfchain.poai.v1.Query/ReputationHistory", &poai.QueryReputationHistoryRequest{OperatorAddress: c.accs[2].Addr.String()}, &hist)
	require.Len(t, hist.Records, 2)
}

func TestUnbondPaysOutAfterThePeriod(t *testing.T) {
	c := newChain(t)
	votes := []abci.VoteInfo{vote(genKey, 10, true)}
	c.block(votes, nil, c.tx(c.accs[2], createMsg(c.accs[2], newKey, newStake)))
	start := c.apps[0].Balance(c.accs[2].Addr, "uself").Uint64()
	res := c.block(votes, nil, c.tx(c.accs[2], &poai.MsgUnbond{OperatorAddress: c.accs[2].Addr.String(), Amount: types.NewCoin("uself", 2_000_000)}))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, uint64(3_000_000), c.validator(c.accs[2]).SelfStake)
	done := c.height + 3
	c.until(done-1, votes)
	require.Equal(t, start, c.apps[0].Balance(c.accs[2].Addr, "uself").Uint64(), "not before the period ends")
	c.block(votes, nil)
	require.Equal(t, start+2_000_000, c.apps[0].Balance(c.accs[2].Addr, "uself").Uint64())
	require.Zero(t, c.validator(c.accs[2]).UnbondingEntries)
}

// Downtime → jail (power 0 the same block) → unjail → back at the next epoch.
func TestDowntimeJailUnjailRejoin(t *testing.T) {
	c := newChain(t)
	votes := []abci.VoteInfo{vote(genKey, 10, true)}
	c.block(votes, nil, c.tx(c.accs[2], createMsg(c.accs[2], newKey, newStake)))
	c.until(10, votes) // in the set with power 5 after two epochs
	require.Equal(t, poai.STATUS_BONDED, c.validator(c.accs[2]).Status)

	absent := []abci.VoteInfo{vote(genKey, 10, true), vote(newKey, 5, false)}
	var jailedAt *abci.ResponseFinalizeBlock
	for i := 0; i < 12 && jailedAt == nil; i++ {
		res := c.block(absent, nil)
		if c.validator(c.accs[2]).Jailed {
			jailedAt = res
		}
	}
	require.NotNil(t, jailedAt, "missing more than 5 of 10 blocks jails")
	p, ok := powerOf(jailedAt, newKey)
	require.True(t, ok)
	require.Zero(t, p, "a jailed validator leaves the set in the same block")
	v := c.validator(c.accs[2])
	require.Less(t, v.SelfStake, uint64(newStake), "downtime slash")
	require.NotZero(t, v.Penalty)

	// Too early.
	res := c.block(votes, nil, c.tx(c.accs[2], &poai.MsgUnjail{OperatorAddress: c.accs[2].Addr.String()}))
	require.Equal(t, poai.ErrStillJailed.Code(), res.TxResults[0].Code)
	c.until(v.JailedUntil, votes)
	res = c.block(votes, nil, c.tx(c.accs[2], &poai.MsgUnjail{OperatorAddress: c.accs[2].Addr.String()}))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	require.False(t, c.validator(c.accs[2]).Jailed)
	// Back at the next epoch end.
	var back bool
	for i := 0; i < 6 && !back; i++ {
		res := c.block(votes, nil)
		if p, ok := powerOf(res, newKey); ok && p > 0 {
			back = true
		}
	}
	require.True(t, back)
}

// Double-sign evidence shaped by CometBFT itself (DuplicateVoteEvidence.ABCI()).
func TestDoubleSignSlashesAndTombstones(t *testing.T) {
	c := newChain(t)
	votes := []abci.VoteInfo{vote(genKey, 10, true)}
	c.block(votes, nil, c.tx(c.accs[2], createMsg(c.accs[2], newKey, newStake)))
	c.until(10, votes)
	ev, err := cmttypes.NewMockDuplicateVoteEvidenceWithValidator(c.height, c.time, cmttypes.NewMockPVWithParams(newKey, false, false), testutil.ChainID)
	require.NoError(t, err)
	// Stake unbonded after the infraction does not escape the slash.
	res := c.block(votes, nil, c.tx(c.accs[2], &poai.MsgUnbond{OperatorAddress: c.accs[2].Addr.String(), Amount: types.NewCoin("uself", 1_000_000)}))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	poolBefore := c.apps[0].Balance(poai.BondedPool, "uself").Uint64()
	supplyBefore := c.supply()
	res = c.block(votes, ev.ABCI())
	v := c.validator(c.accs[2])
	require.True(t, v.Tombstoned)
	require.True(t, v.Jailed)
	require.Equal(t, uint64(4_000_000-200_000), v.SelfStake, "5% of the bonded stake slashed")
	require.Equal(t, poolBefore-200_000-50_000, c.apps[0].Balance(poai.BondedPool, "uself").Uint64(), "and 5% of the unbonding entry; both burned")
	require.Equal(t, supplyBefore-250_000+1000, c.supply(), "burned from the supply (plus this block's inflation)")
	p, ok := powerOf(res, newKey)
	require.True(t, ok)
	require.Zero(t, p)
	// Evidence twice punishes once; unjail is refused for good.
	c.block(votes, ev.ABCI())
	require.Equal(t, v.SelfStake, c.validator(c.accs[2]).SelfStake)
	res = c.block(votes, nil, c.tx(c.accs[2], &poai.MsgUnjail{OperatorAddress: c.accs[2].Addr.String()}))
	require.Equal(t, poai.ErrTombstoned.Code(), res.TxResults[0].Code)
}

// Each bad input fails with its own poai code and changes no poai state nor the pool.
func TestBadInputs(t *testing.T) {
	c := newChain(t)
	votes := []abci.VoteInfo{vote(genKey, 10, true)}
	res := c.block(votes, nil, c.tx(c.accs[2], createMsg(c.accs[2], newKey, newStake)))
	require.Zero(t, res.TxResults[0].Code)

	other := cmted25519.GenPrivKeyFromSecret([]byte("other"))
	badKey := createMsg(c.accs[3], other, newStake)
	badKey.ConsensusKey.Key = badKey.ConsensusKey.Key[:5]
	lowStake := createMsg(c.accs[3], other, 10)
	wrongDenom := createMsg(c.accs[3], other, newStake)
	wrongDenom.SelfStake.Denom = "uatom"
	params := testParams(c.accs[0].Addr.String())
	params.EpochLength = 7
	cases := []struct {
		name string
		acc  *testutil.Account
		msg  runtime.Msg
		code uint32
	}{
		{"withdraw with nothing owed", c.accs[2], &poai.MsgWithdrawRewards{OperatorAddress: c.accs[2].Addr.String()}, poai.ErrNoRewards.Code()},
		{"bad consensus key", c.accs[3], badKey, poai.ErrInvalidConsensusKey.Code()},
		{"too little stake", c.accs[3], lowStake, poai.ErrSelfStakeTooLow.Code()},
		{"duplicate operator", c.accs[2], createMsg(c.accs[2], other, newStake), poai.ErrValidatorExists.Code()},
		{"duplicate consensus key", c.accs[3], createMsg(c.accs[3], newKey, newStake), poai.ErrConsensusKeyInUse.Code()},
		{"genesis consensus key", c.accs[3], createMsg(c.accs[3], genKey, newStake), poai.ErrConsensusKeyInUse.Code()},
		{"wrong denom", c.accs[3], wrongDenom, poai.ErrWrongDenom.Code()},
		{"non-authority update params", c.accs[3], &poai.MsgUpdateParams{Authority: c.accs[3].Addr.String(), Params: params}, poai.ErrNotAuthority.Code()},
		{"unjail when not jailed", c.accs[2], &poai.MsgUnjail{OperatorAddress: c.accs[2].Addr.String()}, poai.ErrNotJailed.Code()},
		{"unbond more than staked", c.accs[2], &poai.MsgUnbond{OperatorAddress: c.accs[2].Addr.String(), Amount: types.NewCoin("uself", newStake+1)}, poai.ErrInsufficientStake.Code()},
		{"no such validator", c.accs[3], &poai.MsgBond{OperatorAddress: c.accs[3].Addr.String(), Amount: types.NewCoin("uself", 1)}, poai.ErrValidatorNotFound.Code()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.snapshot()
			res := c.block(votes, nil, c.tx(tc.acc, tc.msg))
			require.Equal(t, "poai", res.TxResults[0].Codespace, res.TxResults[0].Log)
			require.Equal(t, tc.code, res.TxResults[0].Code, res.TxResults[0].Log)
			require.Equal(t, before, c.snapshot(), "state changed")
			c.syncSeq(tc.acc) // txs refused before the ante keep the sequence
		})
	}
	// The authority may.
	res = c.block(votes, nil, c.tx(c.accs[0], &poai.MsgUpdateParams{Authority: c.accs[0].Addr.String(), Params: params}))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
}

// snapshot is the poai-visible state outside per-block bookkeeping: validators'
// stake and flags, params, pools.
func (c *chain) snapshot() string {
	var vals poai.QueryValidatorsResponse
	c.apps[0].MustQuery("/selfchain.poai.v1.Query/Validators", &poai.QueryValidatorsRequest{}, &vals)
	var params poai.QueryParamsResponse
	c.apps[0].MustQuery("/selfchain.poai.v1.Query/Params", &poai.QueryParamsRequest{}, &params)
	s := params.Params.String()
	for _, v := range vals.Validators {
		s += "|" + v.OperatorAddress + ":" + strconv.FormatUint(v.SelfStake, 10) + ":" + strconv.FormatBool(v.Jailed) + ":" + v.ModelName
	}
	return s + "|" + c.apps[0].Balance(poai.BondedPool, "uself").String() + "|" + c.apps[0].Balance(c.accs[3].Addr, "uself").String()
}

func (c *chain) syncSeq(acc *testutil.Account) {
	var res auth.QueryAccountResponse
	c.apps[0].MustQuery("/selfchain.auth.v1.Query/Account", &auth.QueryAccountRequest{Address: acc.Addr.String()}, &res)
	acc.Seq = res.Account.Sequence
}

func (c *chain) supply() uint64 {
	var res bank.QuerySupplyOfResponse
	c.apps[0].MustQuery("/selfchain.bank.v1.Query/SupplyOf", &bank.QuerySupplyOfRequest{Denom: "uself"}, &res)
	return res.Amount.Amount.Uint64()
}

// Determinism over a messier run: several validators joining, random absences
// (so downtime jails happen), evidence, unbonds and withdrawals; the two apps
// (pebbledb and memdb) must agree on the app hash and updates at every height.
func TestDeterminismWithEvidenceAndCommitInfo(t *testing.T) {
	c := newChain(t)
	keys := []cmted25519.PrivKey{newKey, cmted25519.GenPrivKeyFromSecret([]byte("v3")), cmted25519.GenPrivKeyFromSecret([]byte("v4"))}
	ops := []*testutil.Account{c.accs[2], c.accs[3], c.accs[0]}
	var txs [][]byte
	for i, k := range keys {
		txs = append(txs, c.tx(ops[i], createMsg(ops[i], k, uint64(3_000_000+i*1_000_000))))
	}
	res := c.block([]abci.VoteInfo{vote(genKey, 10, true)}, nil, txs...)
	for _, r := range res.TxResults {
		require.Zero(t, r.Code, r.Log)
	}
	seed := uint32(7)
	rnd := func(n uint32) uint32 { seed = seed*1664525 + 1013904223; return (seed >> 8) % n }
	var updates int
	for c.height < 40 {
		votes := []abci.VoteInfo{vote(genKey, 10, true)}
		for _, k := range keys {
			votes = append(votes, vote(k, 3, rnd(3) != 0 || k.PubKey().Address()[0]%2 == 0))
		}
		var ev []abci.Misbehavior
		var blockTxs [][]byte
		switch c.height {
		case 20:
			e, err := cmttypes.NewMockDuplicateVoteEvidenceWithValidator(c.height, c.time, cmttypes.NewMockPVWithParams(keys[1], false, false), testutil.ChainID)
			require.NoError(t, err)
			ev = e.ABCI()
		case 25:
			blockTxs = append(blockTxs, c.tx(ops[0], &poai.MsgUnbond{OperatorAddress: ops[0].Addr.String(), Amount: types.NewCoin("uself", 1_000_000)}))
		case 30:
			blockTxs = append(blockTxs, c.tx(ops[2], &poai.MsgWithdrawRewards{OperatorAddress: ops[2].Addr.String()}))
		}
		updates += len(c.block(votes, ev, blockTxs...).ValidatorUpdates)
	}
	require.Greater(t, updates, 3)
	require.True(t, c.validator(ops[1]).Tombstoned)
}

// An ML-DSA-65 consensus key goes through create-validator and reaches CometBFT
// as an ml_dsa_65 validator update at the epoch end.
func TestMLDSA65ValidatorJoins(t *testing.T) {
	c := newChain(t)
	seed := make([]byte, 32)
	seed[0] = 65
	pq, err := mldsa65.GenPrivKeyFromSeed(seed)
	require.NoError(t, err)
	msg := createMsg(c.accs[2], pq, newStake)
	// The key (1,952 bytes) and its proof (3,309) are stored: more than the default 200k gas.
	res := c.block(nil, nil, testutil.SignTx(c.accs[2], testutil.TxOpts{Gas: 500_000}, msg))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	blocks := c.until(5, nil)
	ups := blocks[len(blocks)-1].ValidatorUpdates
	require.Len(t, ups, 1)
	require.Equal(t, pq.PubKey().Bytes(), ups[0].PubKey.GetMldsa65())
	pk, err := poai.PubKeyFromProtoKey(ups[0])
	require.NoError(t, err)
	require.Equal(t, "ml_dsa_65", pk.Type())
}

// The ante hook is wired into the app: a rate-limited sender (here from genesis,
// as RecordTxRisks would leave it) is refused by CheckTx and in a block with
// poai/18 — no fee, no sequence change, no transfer — until the window ends.
func TestRateLimitedSenderRefusedByTheApp(t *testing.T) {
	c := newChain(t, func(gs *poai.GenesisState, accs []*testutil.Account) {
		gs.RateLimits = []poai.RateLimit{{Address: accs[3].Addr.String(), Until: 4}}
	})
	c.block(nil, nil) // CheckTx needs a committed state
	fee := testutil.TxOpts{Fee: types.Coins{types.NewCoin("uself", 100)}}
	send := testutil.Send(c.accs[3], c.accs[0].Addr, 5, fee)
	check := c.apps[0].CheckTx(send)
	require.Equal(t, "poai", check.Codespace, check.Log)
	require.Equal(t, poai.ErrRateLimited.Code(), check.Code, check.Log)
	require.Contains(t, check.Log, "from height 4")

	before := c.apps[0].Balance(c.accs[3].Addr, "uself")
	res := c.block(nil, nil, send)
	require.Equal(t, poai.ErrRateLimited.Code(), res.TxResults[0].Code)
	require.Equal(t, before, c.apps[0].Balance(c.accs[3].Addr, "uself"), "no fee, no transfer")
	c.syncSeq(c.accs[3])
	require.Zero(t, c.accs[3].Seq, "sequence unchanged")

	c.until(3, nil)
	res = c.block(nil, nil, testutil.Send(c.accs[3], c.accs[0].Addr, 5, fee)) // height 4: the window is over
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
}
