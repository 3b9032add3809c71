package poai_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"cosmossdk.io/collections"
	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/auth/ante"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

type env struct {
	stores store.MemStores
	ak     auth.Keeper
	bk     bank.Keeper
	k      poai.Keeper
}

func (e *env) ctx(height int64) *runtime.Context {
	return runtime.NewContext(context.Background(), e.stores, runtime.Header{ChainID: testutil.ChainID, Height: height}, runtime.ModeFinalize, nil)
}

// newEnv: auth, bank (alice funded) and poai with one genesis validator (operator bob).
func newEnv(t *testing.T) *env {
	e := newEnvWith(t, []bank.Balance{{Address: alice.Addr.String(), Coins: types.Coins{types.NewCoin("uself", 1_000_000)}}},
		poai.GenesisState{Params: testParams(alice.Addr.String()), Validators: []poai.Validator{genVal(bob.Addr.String(), genKey, genStake)}})
	updates, err := e.k.InitialValidatorUpdates(e.ctx(1), nil)
	require.NoError(t, err)
	require.Len(t, updates, 1)
	require.Equal(t, int64(10), updates[0].Power)
	return e
}

// newEnvWith: auth, bank with balances, and poai with genesis gs, at height 1.
func newEnvWith(t *testing.T, balances []bank.Balance, gs poai.GenesisState) *env {
	t.Helper()
	e := &env{stores: store.MemStores{}}
	e.ak = auth.NewKeeper(runtime.NewKVStoreService(auth.ModuleName))
	e.bk = bank.NewKeeper(runtime.NewKVStoreService(bank.ModuleName), e.ak)
	e.k = poai.NewKeeper(runtime.NewKVStoreService(poai.ModuleName), e.bk, poai.WithFeeCollector(bank.FeeCollector))
	ctx := e.ctx(1)
	require.NoError(t, e.ak.InitGenesis(ctx, auth.DefaultGenesis()))
	bg := bank.DefaultGenesis()
	bg.Balances = balances
	require.NoError(t, e.bk.InitGenesis(ctx, bg))
	require.NoError(t, e.k.InitGenesis(ctx, gs))
	return e
}

var (
	alice = testutil.NewAccount(10)
	bob   = testutil.NewAccount(11)
)

func TestConsensusPubKey(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx(2)
	pk, err := e.k.ConsensusPubKey(ctx, genKey.PubKey().Address())
	require.NoError(t, err)
	require.True(t, pk.Equals(genKey.PubKey()))
	_, err = e.k.ConsensusPubKey(ctx, make([]byte, 20))
	require.ErrorIs(t, err, poai.ErrValidatorNotFound)

	// A CometBFT genesis validator PoAI does not know is still resolvable.
	e2 := &env{stores: store.MemStores{}}
	e2.k = poai.NewKeeper(runtime.NewKVStoreService(poai.ModuleName), nil)
	ctx = e2.ctx(1)
	require.NoError(t, e2.k.InitGenesis(ctx, poai.DefaultGenesis()))
	other := cmted25519.GenPrivKeyFromSecret([]byte("comet-only"))
	u, err := poaiUpdate(other)
	require.NoError(t, err)
	got, err := e2.k.InitialValidatorUpdates(ctx, []abci.ValidatorUpdate{u})
	require.NoError(t, err)
	require.Nil(t, got, "CometBFT keeps its own genesis set")
	pk, err = e2.k.ConsensusPubKey(ctx, other.PubKey().Address())
	require.NoError(t, err)
	require.True(t, pk.Equals(other.PubKey()))
}

// A flagged tx rate-limits its sender for the window; the ante refuses the
// sender's next tx with the poai error, and lets it through after the window.
func TestRecordTxRisksRateLimitsInTheAnte(t *testing.T) {
	e := newEnv(t)
	p := testParams(alice.Addr.String()) // flag threshold 800, window 4
	require.NoError(t, e.k.SetBlockTxs(e.ctx(10), 10, nil, []poai.BlockTx{
		{Hash: []byte("tx0"), Sender: bob.Addr}, {Hash: []byte("tx1"), Sender: alice.Addr},
	}))
	require.NoError(t, e.k.RecordTxRisks(e.ctx(12), 10, []poai.TxRisk{
		{Index: 0, Risk: p.FlagThreshold - 1}, {Index: 1, Risk: 950}, {Index: 7, Risk: 999}, // out of range: ignored
	}))
	var flagged []poai.FlaggedTx
	require.NoError(t, e.k.Flagged.Walk(e.ctx(12), nil, func(_ collections.Pair[int64, uint32], f poai.FlaggedTx) (bool, error) {
		flagged = append(flagged, f)
		return false, nil
	}))
	require.Len(t, flagged, 1)
	require.Equal(t, poai.FlaggedTx{Height: 10, Index: 1, TxHash: []byte("tx1"), Sender: alice.Addr.String(), Risk: 950, FlaggedAt: 12, RateLimitedUntil: 16}, flagged[0])

	n, err := e.k.RateLimitCount.Get(e.ctx(12))
	require.NoError(t, err)
	require.Equal(t, uint64(1), n, "RateLimitCount follows RateLimits")
	limited, err := e.k.IsRateLimited(e.ctx(15), alice.Addr)
	require.NoError(t, err)
	require.True(t, limited)
	limited, err = e.k.IsRateLimited(e.ctx(15), bob.Addr)
	require.NoError(t, err)
	require.False(t, limited)

	pipeline := &ante.Ante{Accounts: e.ak, Fees: e.bk, RateLimits: e.k}
	router := runtime.NewMsgRouter()
	bank.RegisterMsgServer(router, bank.NewMsgServer(e.bk))
	alice.Num, alice.Seq = 0, 0
	acc, found, err := e.ak.GetAccount(e.ctx(15), alice.Addr)
	require.NoError(t, err)
	require.True(t, found)
	alice.Num = acc.AccountNumber
	raw := testutil.Send(alice, bob.Addr, 1, testutil.TxOpts{})
	decoded, err := tx.Decode(raw, router, 1<<20)
	require.NoError(t, err)
	err = pipeline.Run(e.ctx(15).WithGasMeter(runtime.NewGasMeter(1_000_000)), decoded)
	require.ErrorIs(t, err, poai.ErrRateLimited)
	require.Contains(t, err.Error(), "from height 16")
	codespace, _, _ := runtime.ABCIInfo(err)
	require.Equal(t, "poai", codespace)
	// After the window the same tx passes the ante, and EndBlock pruned the limit.
	_, err = e.k.EndBlock(e.ctx(16))
	require.NoError(t, err)
	has, err := e.k.RateLimits.Has(e.ctx(16), alice.Addr)
	require.NoError(t, err)
	require.False(t, has)
	n, err = e.k.RateLimitCount.Get(e.ctx(16))
	require.NoError(t, err)
	require.Zero(t, n, "pruning the last limit brings the count back to zero")
	require.NoError(t, pipeline.Run(e.ctx(16).WithGasMeter(runtime.NewGasMeter(1_000_000)), decoded))
}

func TestRecordAgreement(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx(3)
	addr := genKey.PubKey().Address()
	// Outlier (below kappa 500_000) and missing scores both count as 0; unknown addresses are ignored.
	for i := 0; i < 3; i++ {
		require.NoError(t, e.k.RecordAgreement(ctx, 1, []poai.AgreementSignal{
			{ConsAddress: addr, Scored: true, Agreement: 400_000},
			{ConsAddress: make([]byte, 20), Scored: true, Agreement: 1_000_000},
		}))
	}
	v, found, err := e.k.ValidatorByConsAddr(ctx, addr)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint32(729_000), v.AgreementAvg) // 1e6 × 0.9³
	require.Equal(t, uint32(729_000*7/10+300_000), v.Reputation)
	require.NoError(t, e.k.RecordAgreement(ctx, 1, []poai.AgreementSignal{{ConsAddress: addr, Scored: false, Agreement: 900_000}}))
	v, _, _ = e.k.ValidatorByConsAddr(ctx, addr)
	require.Equal(t, uint32(656_100), v.AgreementAvg)
	require.NoError(t, e.k.RecordAgreement(ctx, 1, []poai.AgreementSignal{{ConsAddress: addr, Scored: true, Agreement: 1_000_000}}))
	v, _, _ = e.k.ValidatorByConsAddr(ctx, addr)
	require.Equal(t, uint32(690_490), v.AgreementAvg)
}

// Never hand CometBFT an empty set: jailing the only validator keeps it.
func TestNeverEmptiesTheSet(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx(2)
	v, _, _ := e.k.ValidatorByConsAddr(ctx, genKey.PubKey().Address())
	v.Jailed = true
	require.NoError(t, e.k.Validators.Set(ctx, crypto.Address(bob.Addr), v))
	require.NoError(t, e.k.Leaving.Set(ctx, v.ConsensusAddress))
	updates, err := e.k.EndBlock(ctx)
	require.NoError(t, err)
	require.Empty(t, updates)
	has, err := e.k.LastPowers.Has(ctx, v.ConsensusAddress)
	require.NoError(t, err)
	require.True(t, has)
	_ = errors.New
}

// Export → import → export is the identity, unbonding queue and owed rewards included,
// and importing mints nothing when the pool already holds the stake.
func TestGenesisRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx(2)
	msgs := poai.NewMsgServer(e.k)
	_, err := msgs.Unbond(ctx, &poai.MsgUnbond{OperatorAddress: bob.Addr.String(), Amount: types.NewCoin("uself", 1_000_000)})
	require.NoError(t, err)
	require.NoError(t, e.k.SetBlockTxs(ctx, 1, nil, []poai.BlockTx{{Hash: []byte("h"), Sender: alice.Addr}}))
	require.NoError(t, e.k.RecordTxRisks(ctx, 1, []poai.TxRisk{{Index: 0, Risk: 1000}}))
	// A consensus address used by no current validator (a genesis.json validator that left).
	require.NoError(t, e.k.UsedConsAddrs.Set(ctx, bytes.Repeat([]byte{9}, 20)))
	gs, err := e.k.ExportGenesis(ctx)
	require.NoError(t, err)
	require.Len(t, gs.Unbonding, 1)
	require.Len(t, gs.RateLimits, 1)
	require.Len(t, gs.Flagged, 1)
	require.Equal(t, [][]byte{bytes.Repeat([]byte{9}, 20)}, gs.UsedConsensusAddresses, "validators' own addresses are implied")
	require.Equal(t, keyProof(genKey, bob.Addr.String()), gs.Validators[0].ConsensusKeyProof, "the proof is exported")
	require.NoError(t, gs.Validate())
	require.NoError(t, gs.ValidateKeyProofs(testutil.ChainID))

	e2 := newEnvFrom(t, gs, e)
	gs2, err := e2.k.ExportGenesis(e2.ctx(1))
	require.NoError(t, err)
	require.Equal(t, gs, gs2)
	pool, err := e2.bk.GetBalance(e2.ctx(1), poai.BondedPool, "uself")
	require.NoError(t, err)
	require.Equal(t, uint64(genStake), pool.Uint64(), "stake + unbonding, not minted twice")
}

// newEnvFrom imports poai genesis gs on top of from's exported bank state.
func newEnvFrom(t *testing.T, gs poai.GenesisState, from *env) *env {
	bg, err := from.bk.ExportGenesis(from.ctx(2))
	require.NoError(t, err)
	ag, err := from.ak.ExportGenesis(from.ctx(2))
	require.NoError(t, err)
	e := &env{stores: store.MemStores{}}
	e.ak = auth.NewKeeper(runtime.NewKVStoreService(auth.ModuleName))
	e.bk = bank.NewKeeper(runtime.NewKVStoreService(bank.ModuleName), e.ak)
	e.k = poai.NewKeeper(runtime.NewKVStoreService(poai.ModuleName), e.bk, poai.WithFeeCollector(bank.FeeCollector))
	ctx := e.ctx(1)
	require.NoError(t, e.ak.InitGenesis(ctx, ag))
	require.NoError(t, e.bk.InitGenesis(ctx, bg))
	require.NoError(t, e.k.InitGenesis(ctx, gs))
	return e
}

// A key type CometBFT's consensus params exclude would halt the chain once sent
// as a validator update: create-validator refuses it.
func TestCreateValidatorRespectsConsensusKeyTypes(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx(2)
	require.NoError(t, e.k.SetAllowedKeyTypes(ctx, []string{"ml_dsa_65"}))
	msgs := poai.NewMsgServer(e.k)
	_, err := msgs.CreateValidator(ctx, &poai.MsgCreateValidator{
		OperatorAddress: alice.Addr.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(newKey.PubKey()),
		SelfStake: types.NewCoin("uself", 1_000_000), ModelName: "m", ModelHash: make([]byte, 32),
		ConsensusKeyProof: keyProof(newKey, alice.Addr.String()),
	})
	require.ErrorIs(t, err, poai.ErrConsensusKeyTypeNotAllowed)
	require.ErrorContains(t, err, "allow only ml_dsa_65")
	require.NoError(t, e.k.SetAllowedKeyTypes(ctx, []string{"ed25519", "ml_dsa_65"}))
	_, err = msgs.CreateValidator(ctx, &poai.MsgCreateValidator{
		OperatorAddress: alice.Addr.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(newKey.PubKey()),
		SelfStake: types.NewCoin("uself", 1_000_000), ModelName: "m", ModelHash: make([]byte, 32),
		ConsensusKeyProof: keyProof(newKey, alice.Addr.String()),
	})
	require.NoError(t, err)
}

// Two genesis validators of power 10. With max_validators 1 the lower-weight one
// must go, but at most a third of the power (6) moves per epoch: 10 → 4 → 0.
// With min_validators 2 a zero-weight validator keeps its seat.
func TestEpochCapAndMinSet(t *testing.T) {
	keyB := cmted25519.GenPrivKeyFromSecret([]byte("validator-b"))
	setup := func(maxVals, minVals uint32) (*env, []byte) {
		p := testParams(alice.Addr.String())
		p.MaxValidators, p.MinValidators = 2, minVals
		gs := poai.GenesisState{Params: p, Validators: []poai.Validator{
			genVal(alice.Addr.String(), genKey, genStake),
			// B: same stake, no agreement at all: weight 0.3 × stake vs A's full stake.
			{OperatorAddress: bob.Addr.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(keyB.PubKey()), SelfStake: genStake,
				AgreementAvg: 0, SignedAvg: 1_000_000, ConsensusKeyProof: keyProof(keyB, bob.Addr.String())},
		}}
		e := newEnvWith(t, nil, gs)
		ctx := e.ctx(1)
		ups, err := e.k.InitialValidatorUpdates(ctx, nil)
		require.NoError(t, err)
		require.Len(t, ups, 2)
		p.MaxValidators = maxVals // as if MsgUpdateParams shrank the set
		require.NoError(t, e.k.Params.Set(ctx, p))
		return e, keyB.PubKey().Address()
	}
	powerB := func(e *env, h int64, b []byte) int64 {
		lp, err := e.k.LastPowers.Get(e.ctx(h), b)
		if err != nil {
			return 0
		}
		return lp.Power
	}

	e, b := setup(1, 1)
	_, err := e.k.EndBlock(e.ctx(5))
	require.NoError(t, err)
	require.Equal(t, int64(4), powerB(e, 5, b), "a third of 20 moved: 10 → 4")
	ep, err := e.k.Epoch.Get(e.ctx(5))
	require.NoError(t, err)
	require.True(t, ep.Carried)
	_, err = e.k.EndBlock(e.ctx(10))
	require.NoError(t, err)
	require.Equal(t, int64(0), powerB(e, 10, b), "the rest next epoch (4 ≤ 14/3)")
	v, _, _ := e.k.ValidatorByConsAddr(e.ctx(10), b)
	require.Equal(t, poai.STATUS_UNBONDING, v.Status)

	// Zero weight, but the floor of 2 keeps it.
	e, b = setup(2, 2)
	v, _, _ = e.k.ValidatorByConsAddr(e.ctx(1), b)
	v.SignedAvg = 0
	require.NoError(t, e.k.Validators.Set(e.ctx(1), bob.Addr, v))
	updates, err := e.k.EndBlock(e.ctx(5))
	require.NoError(t, err)
	require.Empty(t, updates)
	require.Equal(t, int64(10), powerB(e, 5, b))
}
