package poai_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/mldsa65"
	cmtprotocrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

var (
	zeroKey   = make([]byte, 32)
	order8Key = hexBytes("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	// y = 3 + p: a point (of mixed order) in a non-canonical encoding.
	nonCanonicalKey = hexBytes("f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
)

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func mlDSAKey(t testing.TB, b byte) mldsa65.PrivKey {
	seed := make([]byte, 32)
	seed[0] = b
	k, err := mldsa65.GenPrivKeyFromSeed(seed)
	require.NoError(t, err)
	return k
}

// ValidateConsensusKey: one check per key type, a distinct code per reason.
func TestValidateConsensusKey(t *testing.T) {
	pq := mlDSAKey(t, 1)
	for _, tc := range []struct {
		name string
		ck   poai.ConsensusKey
		want error
	}{
		{"ed25519", poai.ConsensusKeyFromPubKey(genKey.PubKey()), nil},
		{"ml_dsa_65", poai.ConsensusKeyFromPubKey(pq.PubKey()), nil},
		{"all-zero ed25519", poai.ConsensusKey{Type: "ed25519", Key: zeroKey}, poai.ErrSmallOrderConsensusKey},
		{"identity", poai.ConsensusKey{Type: "ed25519", Key: append([]byte{1}, make([]byte, 31)...)}, poai.ErrSmallOrderConsensusKey},
		{"order-8 point", poai.ConsensusKey{Type: "ed25519", Key: order8Key}, poai.ErrSmallOrderConsensusKey},
		{"mixed order, canonical y = 3", poai.ConsensusKey{Type: "ed25519", Key: append([]byte{3}, make([]byte, 31)...)}, poai.ErrSmallOrderConsensusKey},
		{"non-canonical encoding", poai.ConsensusKey{Type: "ed25519", Key: nonCanonicalKey}, poai.ErrInvalidConsensusKey},
		{"not a curve point", poai.ConsensusKey{Type: "ed25519", Key: append([]byte{2}, make([]byte, 31)...)}, poai.ErrInvalidConsensusKey},
		{"short ed25519", poai.ConsensusKey{Type: "ed25519", Key: genKey.PubKey().Bytes()[:31]}, poai.ErrInvalidConsensusKey},
		{"truncated ml_dsa_65", poai.ConsensusKey{Type: "ml_dsa_65", Key: pq.PubKey().Bytes()[:1951]}, poai.ErrInvalidConsensusKey},
		{"long ml_dsa_65", poai.ConsensusKey{Type: "ml_dsa_65", Key: append(pq.PubKey().Bytes(), 0)}, poai.ErrInvalidConsensusKey},
		{"secp256k1", poai.ConsensusKey{Type: "secp256k1", Key: make([]byte, 33)}, poai.ErrConsensusKeyTypeNotAllowed},
		{"bls12_381", poai.ConsensusKey{Type: "bls12_381", Key: make([]byte, 48)}, poai.ErrConsensusKeyTypeNotAllowed},
		{"empty type", poai.ConsensusKey{Key: genKey.PubKey().Bytes()}, poai.ErrConsensusKeyTypeNotAllowed},
	} {
		pk, err := poai.ValidateConsensusKey(tc.ck)
		if tc.want == nil {
			require.NoError(t, err, tc.name)
			require.Equal(t, tc.ck.Key, []byte(pk.Bytes()), tc.name)
			continue
		}
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	require.NoError(t, poai.CheckConsensusKeyTypes([]string{"ed25519", "ml_dsa_65"}))
	require.ErrorIs(t, poai.CheckConsensusKeyTypes([]string{"ed25519", "secp256k1"}), poai.ErrConsensusKeyTypeNotAllowed)
}

// The proof binds key, operator and chain id, and nothing else verifies.
func TestKeyProof(t *testing.T) {
	op := alice.Addr
	pq := mlDSAKey(t, 2)
	for _, priv := range []struct {
		name string
		key  cmtcrypto.PrivKey
	}{{"ed25519", genKey}, {"ml_dsa_65", pq}} {
		pub := priv.key.PubKey()
		proof, err := poai.SignKeyProof(priv.key, testutil.ChainID, op)
		require.NoError(t, err)
		require.NoError(t, poai.VerifyKeyProof(pub, testutil.ChainID, op, proof), priv.name)
		require.ErrorIs(t, poai.VerifyKeyProof(pub, "selfchain-test-2", op, proof), poai.ErrInvalidKeyProof, priv.name)
		require.ErrorIs(t, poai.VerifyKeyProof(pub, testutil.ChainID, bob.Addr, proof), poai.ErrInvalidKeyProof, priv.name)
		require.ErrorIs(t, poai.VerifyKeyProof(newKey.PubKey(), testutil.ChainID, op, proof[:64]), poai.ErrInvalidKeyProof, priv.name)
		require.ErrorIs(t, poai.VerifyKeyProof(pub, testutil.ChainID, op, nil), poai.ErrMissingKeyProof, priv.name)
		require.ErrorIs(t, poai.VerifyKeyProof(pub, testutil.ChainID, op, proof[1:]), poai.ErrInvalidKeyProof, priv.name)
		// A signature of the bare message (no domain) is no proof.
		bare, err := priv.key.Sign(append([]byte(testutil.ChainID), op...))
		require.NoError(t, err)
		require.ErrorIs(t, poai.VerifyKeyProof(pub, testutil.ChainID, op, bare), poai.ErrInvalidKeyProof, priv.name)
	}
	// The signed bytes, spelled out.
	want := append([]byte("selfchain/consensus-key-possession/v1\x00"), byte(len(testutil.ChainID)))
	want = append(append(want, testutil.ChainID...), 20)
	want = append(want, op...)
	require.Equal(t, want, poai.KeyProofSignBytes(testutil.ChainID, op))
	// Lengths are prefixed: moving a byte between chain id and operator changes the message.
	require.NotEqual(t, poai.KeyProofSignBytes("ab", crypto.Address("c")), poai.KeyProofSignBytes("a", crypto.Address("bc")))
}

// Genesis validation refuses every key create-validator refuses, with the same
// codes; the proofs are checked against the genesis chain id by InitGenesis.
func TestGenesisRefusesUncheckedConsensusKeys(t *testing.T) {
	base := func() poai.GenesisState {
		return poai.GenesisState{Params: testParams(alice.Addr.String()), Validators: []poai.Validator{genVal(bob.Addr.String(), genKey, genStake)}}
	}
	require.NoError(t, base().Validate())
	pq := mlDSAKey(t, 3)
	other := cmted25519.GenPrivKeyFromSecret([]byte("other"))
	for _, tc := range []struct {
		name string
		edit func(gs *poai.GenesisState)
		want error
	}{
		{"all-zero ed25519 key", func(gs *poai.GenesisState) {
			gs.Validators[0].ConsensusKey = poai.ConsensusKey{Type: "ed25519", Key: zeroKey}
			gs.Validators[0].ConsensusKeyProof = make([]byte, 64)
		}, poai.ErrSmallOrderConsensusKey},
		{"order-8 point", func(gs *poai.GenesisState) {
			gs.Validators[0].ConsensusKey = poai.ConsensusKey{Type: "ed25519", Key: order8Key}
		}, poai.ErrSmallOrderConsensusKey},
		{"non-canonical encoding", func(gs *poai.GenesisState) {
			gs.Validators[0].ConsensusKey = poai.ConsensusKey{Type: "ed25519", Key: nonCanonicalKey}
		}, poai.ErrInvalidConsensusKey},
		{"truncated ml_dsa_65 key", func(gs *poai.GenesisState) {
			gs.Validators[0].ConsensusKey = poai.ConsensusKey{Type: "ml_dsa_65", Key: pq.PubKey().Bytes()[:100]}
		}, poai.ErrInvalidConsensusKey},
		{"secp256k1 key", func(gs *poai.GenesisState) {
			gs.Validators[0].ConsensusKey = poai.ConsensusKey{Type: "secp256k1", Key: make([]byte, 33)}
		}, poai.ErrConsensusKeyTypeNotAllowed},
		{"missing proof", func(gs *poai.GenesisState) { gs.Validators[0].ConsensusKeyProof = nil }, poai.ErrMissingKeyProof},
		{"proof of an ml_dsa_65 size for an ed25519 key", func(gs *poai.GenesisState) {
			gs.Validators[0].ConsensusKeyProof = make([]byte, mldsa65.SignatureSize)
		}, poai.ErrInvalidKeyProof},
	} {
		gs := base()
		tc.edit(&gs)
		require.ErrorIs(t, gs.Validate(), tc.want, tc.name)
	}

	// Proofs need the chain id: ValidateKeyProofs, and InitGenesis with the context's.
	for _, tc := range []struct {
		name  string
		proof []byte
	}{
		{"proof by another key", keyProof(other, bob.Addr.String())},
		{"proof for another operator", keyProof(genKey, alice.Addr.String())},
	} {
		gs := base()
		gs.Validators[0].ConsensusKeyProof = tc.proof
		require.NoError(t, gs.Validate(), tc.name)
		require.ErrorIs(t, gs.ValidateKeyProofs(testutil.ChainID), poai.ErrInvalidKeyProof, tc.name)
		e := freshKeeper(t, testutil.ChainID)
		require.ErrorIs(t, e.k.InitGenesis(e.ctx(1), gs), poai.ErrInvalidKeyProof, tc.name)
	}
	gs := base()
	require.NoError(t, gs.ValidateKeyProofs(testutil.ChainID))
	require.ErrorIs(t, gs.ValidateKeyProofs("selfchain-test-2"), poai.ErrInvalidKeyProof, "proof for another chain id")
	e := freshKeeper(t, "selfchain-test-2")
	err := e.k.InitGenesis(e.ctxOn(1, "selfchain-test-2"), gs)
	require.ErrorIs(t, err, poai.ErrInvalidKeyProof, "InitGenesis checks against the context's chain id")

	// Two validators, one key: refused as before.
	gs = base()
	gs.Validators = append(gs.Validators, genVal(alice.Addr.String(), genKey, genStake))
	require.ErrorContains(t, gs.Validate(), "validators[1].consensus_key: already validators[0]'s")

	// used_consensus_addresses: 20 bytes each, no duplicates.
	gs = base()
	gs.UsedConsensusAddresses = [][]byte{make([]byte, 19)}
	require.ErrorContains(t, gs.Validate(), "used_consensus_addresses[0]: 19 bytes")
	gs.UsedConsensusAddresses = [][]byte{make([]byte, 20), make([]byte, 20)}
	require.ErrorContains(t, gs.Validate(), "used_consensus_addresses[1]: 0000000000000000000000000000000000000000 is already used_consensus_addresses[0]")
}

// freshKeeper is an env with auth and bank genesis but no poai genesis yet.
func freshKeeper(t *testing.T, chainID string) *env {
	e := &env{stores: store.MemStores{}}
	e.ak = auth.NewKeeper(runtime.NewKVStoreService(auth.ModuleName))
	e.bk = bank.NewKeeper(runtime.NewKVStoreService(bank.ModuleName), e.ak)
	e.k = poai.NewKeeper(runtime.NewKVStoreService(poai.ModuleName), e.bk, poai.WithFeeCollector(bank.FeeCollector))
	ctx := e.ctxOn(1, chainID)
	require.NoError(t, e.ak.InitGenesis(ctx, auth.DefaultGenesis()))
	bg := bank.DefaultGenesis()
	bg.Balances = []bank.Balance{{Address: alice.Addr.String(), Coins: types.Coins{types.NewCoin("uself", 10_000_000)}}}
	require.NoError(t, e.bk.InitGenesis(ctx, bg))
	return e
}

func (e *env) ctxOn(height int64, chainID string) *runtime.Context {
	return runtime.NewContext(context.Background(), e.stores, runtime.Header{ChainID: chainID, Height: height}, runtime.ModeFinalize, nil)
}

// The validators CometBFT's genesis.json names (no PoAI genesis validators) are
// checked like any consensus key at InitChain, and their addresses stay "used"
// after they leave CometBFT's set: create-validator refuses them, even with
// their holder's proof.
func TestGenesisJSONValidatorsAreCheckedAndStayUsed(t *testing.T) {
	e := freshKeeper(t, testutil.ChainID)
	ctx := e.ctx(1)
	require.NoError(t, e.k.InitGenesis(ctx, poai.GenesisState{Params: testParams(alice.Addr.String())}))
	comet := cmted25519.GenPrivKeyFromSecret([]byte("comet-only"))
	u, err := poaiUpdate(comet)
	require.NoError(t, err)
	// A small-order key in genesis.json fails InitChain.
	bad := abci.ValidatorUpdate{PubKey: cmtprotocrypto.PublicKey{Sum: &cmtprotocrypto.PublicKey_Ed25519{Ed25519: zeroKey}}, Power: 1}
	e2 := freshKeeper(t, testutil.ChainID)
	require.NoError(t, e2.k.InitGenesis(e2.ctx(1), poai.GenesisState{Params: testParams(alice.Addr.String())}))
	_, err = e2.k.InitialValidatorUpdates(e2.ctx(1), []abci.ValidatorUpdate{bad})
	require.ErrorIs(t, err, poai.ErrSmallOrderConsensusKey)

	_, err = e.k.InitialValidatorUpdates(ctx, []abci.ValidatorUpdate{u})
	require.NoError(t, err)
	addr := comet.PubKey().Address()
	has, err := e.k.UsedConsAddrs.Has(ctx, addr)
	require.NoError(t, err)
	require.True(t, has)
	// It leaves CometBFT's set (as an epoch that replaced it would record).
	require.NoError(t, e.k.LastPowers.Remove(ctx, addr))

	msg := &poai.MsgCreateValidator{OperatorAddress: alice.Addr.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(comet.PubKey()),
		SelfStake: types.NewCoin("uself", 1_000_000), ModelName: "m", ModelHash: make([]byte, 32),
		ConsensusKeyProof: keyProof(comet, alice.Addr.String())}
	_, err = poai.NewMsgServer(e.k).CreateValidator(e.ctx(2), msg)
	require.ErrorIs(t, err, poai.ErrConsensusKeyInUse)
	n, err := e.k.ValidatorCount.Get(e.ctx(2))
	if err == nil {
		require.Zero(t, n)
	}
	bal, err := e.bk.GetBalance(e.ctx(2), alice.Addr, "uself")
	require.NoError(t, err)
	require.Equal(t, uint64(10_000_000), bal.Uint64())

	// Exported and imported, the address stays used.
	gs, err := e.k.ExportGenesis(ctx)
	require.NoError(t, err)
	require.Equal(t, [][]byte{addr}, gs.UsedConsensusAddresses)
	e3 := newEnvFrom(t, gs, e)
	has, err = e3.k.UsedConsAddrs.Has(e3.ctx(1), addr)
	require.NoError(t, err)
	require.True(t, has)
}

// SetAllowedKeyTypes (InitChain's consensus params) refuses a key type the app cannot check.
func TestAllowedKeyTypesMustBeCheckable(t *testing.T) {
	e := newEnv(t)
	require.ErrorIs(t, e.k.SetAllowedKeyTypes(e.ctx(1), []string{"ed25519", "secp256k1"}), poai.ErrConsensusKeyTypeNotAllowed)
	require.NoError(t, e.k.SetAllowedKeyTypes(e.ctx(1), []string{"ml_dsa_65", "ed25519"}))
}

// Migrate1to2 on a store written by version 1: used_cons_addrs is filled from
// by_cons_addr and last_powers, and a validator whose key version 2 refuses (the
// all-zero key of issue 12, in CometBFT's set) is tombstoned and sent power 0
// in the same block's EndBlock.
func TestMigrate1to2(t *testing.T) {
	e := newEnv(t) // genesis validator of genKey (bob), in the set
	ctx := e.ctx(2)
	weakOp := crypto.Address(alice.Addr)
	weakAddr := cmted25519.PubKey(zeroKey).Address()
	weak := poai.Validator{OperatorAddress: alice.Addr.String(), ConsensusKey: poai.ConsensusKey{Type: "ed25519", Key: zeroKey},
		ConsensusAddress: weakAddr, SelfStake: 1_000_000, Status: poai.STATUS_BONDED, AgreementAvg: poai.PPM, SignedAvg: poai.PPM}
	// What version 1 wrote for it: the record, the index, CometBFT's power; no used_cons_addrs.
	require.NoError(t, e.k.Validators.Set(ctx, weakOp, weak))
	require.NoError(t, e.k.ByConsAddr.Set(ctx, weakAddr, weakOp))
	require.NoError(t, e.k.LastPowers.Set(ctx, weakAddr, poai.LastPower{ConsensusKey: weak.ConsensusKey, Power: 1}))
	genAddr := genKey.PubKey().Address()
	require.NoError(t, e.k.UsedConsAddrs.Clear(ctx, nil))
	stranger := bytes.Repeat([]byte{7}, 20) // in CometBFT's set, unknown to PoAI
	require.NoError(t, e.k.LastPowers.Set(ctx, stranger, poai.LastPower{ConsensusKey: poai.ConsensusKeyFromPubKey(newKey.PubKey()), Power: 1}))

	require.NoError(t, e.k.Migrate1to2(ctx))
	// Again, as an upgrade runs it (the module registers the step): idempotent.
	_, err := runtime.NewManager(poai.NewModule(e.k)).RunMigrations(ctx, runtime.VersionMap{poai.ModuleName: 1})
	require.NoError(t, err, "idempotent, and registered")
	for _, a := range [][]byte{genAddr, weakAddr, stranger} {
		has, err := e.k.UsedConsAddrs.Has(ctx, a)
		require.NoError(t, err)
		require.True(t, has, "%X", a)
	}
	v, _, err := e.k.GetValidator(ctx, weakOp)
	require.NoError(t, err)
	require.True(t, v.Tombstoned)
	require.True(t, v.Jailed)
	require.Equal(t, int64(math.MaxInt64), v.JailedUntil)
	require.Equal(t, uint64(1_000_000), v.SelfStake, "not slashed: it can unbond")
	good, _, err := e.k.GetValidator(ctx, bob.Addr)
	require.NoError(t, err)
	require.False(t, good.Jailed)
	updates, err := e.k.EndBlock(ctx)
	require.NoError(t, err)
	var gone bool
	for _, u := range updates {
		if bytes.Equal(u.PubKey.GetEd25519(), zeroKey) {
			gone = u.Power == 0
		}
	}
	require.True(t, gone, "the all-zero key leaves CometBFT's set: %v", updates)
	// And nobody can register it again.
	_, err = poai.NewMsgServer(e.k).CreateValidator(ctx, &poai.MsgCreateValidator{OperatorAddress: bob.Addr.String(),
		ConsensusKey: weak.ConsensusKey, SelfStake: types.NewCoin("uself", 1_000_000), ModelName: "m", ModelHash: make([]byte, 32),
		ConsensusKeyProof: make([]byte, 64)})
	require.True(t, errors.Is(err, poai.ErrSmallOrderConsensusKey), "%v", err)
}
