package poai_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/mldsa65"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/poai"
)

// Raw keys of the poai store (collections: one prefix byte, then the key bytes).
const (
	storeByConsAddr     = 0x03
	storeValidatorCount = 0x0f
	storeKeyProofs      = 0x13
	storeUsedConsAddrs  = 0x14
)

// raw reads a key of the committed poai store of the chain's first app.
func (c *chain) raw(prefix byte, key []byte) []byte {
	c.t.Helper()
	res, err := c.apps[0].Query(context.Background(), &abci.RequestQuery{Path: "/store/poai/key", Data: append([]byte{prefix}, key...)})
	require.NoError(c.t, err)
	require.Zero(c.t, res.Code, res.Log)
	return res.Value
}

// keyState is what a refused create-validator must leave alone: every validator
// (stake, flags, model), params, the bonded pool, the sender's balance, the
// validator count, and the consensus address's entries in by_cons_addr,
// used_cons_addrs and key_proofs.
func (c *chain) keyState(sender *testutil.Account, consAddr []byte) string {
	c.t.Helper()
	return c.snapshot() + "|sender:" + c.apps[0].Balance(sender.Addr, "uself").String() +
		"|count:" + hex.EncodeToString(c.raw(storeValidatorCount, nil)) +
		"|by_cons_addr:" + hex.EncodeToString(c.raw(storeByConsAddr, consAddr)) +
		"|used:" + hex.EncodeToString(c.raw(storeUsedConsAddrs, consAddr)) +
		"|proof:" + hex.EncodeToString(c.raw(storeKeyProofs, consAddr))
}

// rawKeyMsg registers raw key bytes of a type (no private key needed) with a given proof.
func rawKeyMsg(acc *testutil.Account, keyType string, key, proof []byte) *poai.MsgCreateValidator {
	m := createMsg(acc, cmted25519.GenPrivKeyFromSecret([]byte("placeholder")), newStake)
	m.ConsensusKey = poai.ConsensusKey{Type: keyType, Key: key}
	m.ConsensusKeyProof = proof
	return m
}

func mustHexKey(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// Issue 12: MsgCreateValidator from anyone with the all-zero Ed25519 key used to
// execute with code 0 and reach CometBFT's set. Every consensus key is now
// checked (ValidateConsensusKey), unused by any validator past or present, and
// proven by its holder for this operator and chain. Each refusal has its own
// poai code and changes nothing: validators, count, pool, the sender's balance,
// and the consensus address's index entries.
func TestCreateValidatorRefusesUncheckedConsensusKeys(t *testing.T) {
	c := newChain(t)
	votes := []abci.VoteInfo{vote(genKey, 10, true)}
	pastKey := cmted25519.GenPrivKeyFromSecret([]byte("past-validator"))
	tombKey := cmted25519.GenPrivKeyFromSecret([]byte("tombstoned-validator"))

	// A past validator: it joins the set, unbonds everything and leaves it.
	res := c.block(votes, nil, c.tx(c.accs[2], createMsg(c.accs[2], pastKey, newStake)))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	c.until(5, votes)
	require.Equal(t, poai.STATUS_BONDED, c.validator(c.accs[2]).Status)
	res = c.block(votes, nil, c.tx(c.accs[2], &poai.MsgUnbond{OperatorAddress: c.accs[2].Addr.String(), Amount: types.NewCoin("uself", newStake)}))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	// A tombstoned validator: double-sign evidence.
	res = c.block(votes, nil, c.tx(c.accs[0], createMsg(c.accs[0], tombKey, newStake)))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	c.block(votes, []abci.Misbehavior{{Type: abci.MisbehaviorType_DUPLICATE_VOTE,
		Validator: abci.Validator{Address: tombKey.PubKey().Address(), Power: 1}, Height: c.height, Time: c.time, TotalVotingPower: 11}})
	c.until(15, votes)
	past := c.validator(c.accs[2])
	require.Zero(t, past.SelfStake)
	require.NotEqual(t, poai.STATUS_BONDED, past.Status, "it left the set")
	require.True(t, c.validator(c.accs[0]).Tombstoned)

	attacker := c.accs[3]
	fresh := cmted25519.GenPrivKeyFromSecret([]byte("fresh-key"))
	other := cmted25519.GenPrivKeyFromSecret([]byte("someone-elses-key"))
	zero := make([]byte, 32)
	order8 := mustHexKey(t, "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	// Under a small-order key a signature of R = identity, S = 0 verifies for every
	// message (CometBFT's ZIP-215 rules; Go's ed25519.Verify too for the zero key):
	// a possession proof alone cannot stop such a key, the key check must.
	forged := append(mustHexKey(t, "0100000000000000000000000000000000000000000000000000000000000000"), make([]byte, 32)...)
	for _, k := range [][]byte{zero, order8} {
		require.True(t, cmted25519.PubKey(k).VerifySignature(poai.KeyProofSignBytes(testutil.ChainID, attacker.Addr), forged))
	}
	seed := make([]byte, 32)
	seed[0] = 12
	pq, err := mldsa65.GenPrivKeyFromSeed(seed)
	require.NoError(t, err)

	withProof := func(key cmtcrypto.PrivKey, proof []byte) *poai.MsgCreateValidator {
		m := createMsg(attacker, key, newStake)
		m.ConsensusKeyProof = proof
		return m
	}
	otherChainProof, err := poai.SignKeyProof(fresh, "selfchain-test-2", attacker.Addr)
	require.NoError(t, err)
	// Stateless refusals (ValidateBasic) happen already in CheckTx; the others
	// need state or the chain id and happen when the block executes the message.
	cases := []struct {
		name      string
		msg       *poai.MsgCreateValidator
		err       interface{ Code() uint32 }
		stateless bool
	}{
		{"all-zero ed25519 key (with a proof that verifies)", rawKeyMsg(attacker, "ed25519", zero, forged), poai.ErrSmallOrderConsensusKey, true},
		{"order-8 ed25519 point (with a proof that verifies)", rawKeyMsg(attacker, "ed25519", order8, forged), poai.ErrSmallOrderConsensusKey, true},
		{"non-canonical ed25519 encoding (y = 3 + p)", rawKeyMsg(attacker, "ed25519",
			mustHexKey(t, "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), make([]byte, 64)), poai.ErrInvalidConsensusKey, true},
		{"truncated ml_dsa_65 key", rawKeyMsg(attacker, "ml_dsa_65", pq.PubKey().Bytes()[:1000], make([]byte, mldsa65.SignatureSize)), poai.ErrInvalidConsensusKey, true},
		{"key type CometBFT knows but the app does not check", rawKeyMsg(attacker, "secp256k1", make([]byte, 33), make([]byte, 64)), poai.ErrConsensusKeyTypeNotAllowed, true},
		{"key of a current validator", createMsg(attacker, genKey, newStake), poai.ErrConsensusKeyInUse, false},
		{"key of a past (fully unbonded) validator", createMsg(attacker, pastKey, newStake), poai.ErrConsensusKeyInUse, false},
		{"key of a tombstoned validator", createMsg(attacker, tombKey, newStake), poai.ErrConsensusKeyInUse, false},
		{"missing proof", withProof(fresh, nil), poai.ErrMissingKeyProof, true},
		{"proof of the wrong size", withProof(fresh, make([]byte, 63)), poai.ErrInvalidKeyProof, true},
		{"proof by another key", withProof(fresh, keyProof(other, attacker.Addr.String())), poai.ErrInvalidKeyProof, false},
		{"proof for another operator", withProof(fresh, keyProof(fresh, c.accs[2].Addr.String())), poai.ErrInvalidKeyProof, false},
		{"proof for another chain id", withProof(fresh, otherChainProof), poai.ErrInvalidKeyProof, false},
		{"ml_dsa_65 proof by another key", withProof(pq, make([]byte, mldsa65.SignatureSize)), poai.ErrInvalidKeyProof, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			consAddr := cmtcrypto.AddressHash(tc.msg.ConsensusKey.Key)
			if pk, err := poai.PubKeyFromConsensusKey(tc.msg.ConsensusKey); err == nil {
				consAddr = pk.Address()
			}
			before := c.keyState(attacker, consAddr)
			bz := testutil.SignTx(attacker, testutil.TxOpts{Gas: 500_000}, tc.msg)
			check := c.apps[0].CheckTx(bz)
			if tc.stateless {
				require.Equal(t, tc.err.Code(), check.Code, "CheckTx: %s", check.Log)
			} else {
				require.Zero(t, check.Code, "CheckTx does not run the message: %s", check.Log)
			}
			res := c.block(votes, nil, bz)
			require.Equal(t, "poai", res.TxResults[0].Codespace, res.TxResults[0].Log)
			require.Equal(t, tc.err.Code(), res.TxResults[0].Code, res.TxResults[0].Log)
			require.Equal(t, before, c.keyState(attacker, consAddr), "state changed")
			c.syncSeq(attacker) // txs refused before the ante keep the sequence
		})
	}
	// The same sender with its own fresh key and a proper proof gets in.
	res = c.block(votes, nil, testutil.SignTx(attacker, testutil.TxOpts{Gas: 500_000}, createMsg(attacker, fresh, newStake)))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	require.NotEmpty(t, c.raw(storeByConsAddr, fresh.PubKey().Address()))
	require.NotNil(t, c.raw(storeUsedConsAddrs, fresh.PubKey().Address()))
	require.Equal(t, keyProof(fresh, attacker.Addr.String()), c.raw(storeKeyProofs, fresh.PubKey().Address()), "the proof is kept for export")
	require.Empty(t, c.validator(attacker).ConsensusKeyProof, "but not in the validator record")
}

// InitChain refuses consensus params that let CometBFT accept a validator key
// type the app cannot check, and a genesis validator without its proof or with
// one made for another chain id.
func TestInitChainRefusesUncheckedConsensusKeys(t *testing.T) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	appState := func(v poai.Validator) []byte {
		state := map[string]json.RawMessage{}
		require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 1_000_000), &state))
		gs := poai.DefaultGenesis()
		gs.Validators = []poai.Validator{v}
		var err error
		state[poai.ModuleName], err = runtime.MarshalGenesis(&gs)
		require.NoError(t, err)
		bz, err := json.Marshal(state)
		require.NoError(t, err)
		return bz
	}
	good := genVal(accs[1].Addr.String(), genKey, genStake)
	noProof := good
	noProof.ConsensusKeyProof = nil
	otherChain := good
	otherChain.ConsensusKeyProof, _ = poai.SignKeyProof(genKey, "selfchain-test-2", accs[1].Addr)
	for _, tc := range []struct {
		name     string
		appState []byte
		keyTypes []string
		want     string
	}{
		{"secp256k1 allowed by consensus params", appState(good), []string{"ed25519", "secp256k1"}, poai.ErrConsensusKeyTypeNotAllowed.Error()},
		{"genesis validator without a proof", appState(noProof), nil, poai.ErrMissingKeyProof.Error()},
		{"proof for another chain id", appState(otherChain), nil, poai.ErrInvalidKeyProof.Error()},
		{"accepted", appState(good), []string{"ed25519", "ml_dsa_65"}, ""},
	} {
		a, err := app.New(nil, dbm.NewMemDB(), testutil.Config())
		require.NoError(t, err)
		req := &abci.RequestInitChain{ChainId: testutil.ChainID, InitialHeight: 1, AppStateBytes: tc.appState}
		if tc.keyTypes != nil {
			req.ConsensusParams = &cmtproto.ConsensusParams{Validator: &cmtproto.ValidatorParams{PubKeyTypes: tc.keyTypes}}
		}
		_, err = a.InitChain(context.Background(), req)
		if tc.want == "" {
			require.NoError(t, err, tc.name)
		} else {
			require.ErrorContains(t, err, tc.want, tc.name)
		}
		if tc.keyTypes == nil { // the app_state itself is bad: genesis validation says so too
			require.ErrorContains(t, app.ValidateGenesisAppState(testutil.ChainID, tc.appState), tc.want, tc.name)
		}
		require.NoError(t, a.Close())
	}
}
