package bridge_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/mldsa65"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
	ics23 "github.com/cosmos/ics23/go"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bridge"
)

// testChain is an app driven block by block plus a set of test validators that
// sign its headers: the light client of the other chain verifies those headers
// exactly as it would a real chain's (ibc-go's testing package does the same).
type testChain struct {
	t    testing.TB
	id   string
	ta   *testutil.TestApp
	keys []cmtcrypto.PrivKey // in validator-set order
	vals *cmttypes.ValidatorSet
	// accounts: 0 relayer, 1 alice, 2 bob, 3 the bridge authority
	relayer, alice, bob, authority *testutil.Account
}

// newTestChain starts chain id with n validators of keyType ("ed25519" or "ml_dsa_65").
func newTestChain(t testing.TB, id string, n int, keyType string) *testChain {
	t.Helper()
	c := newTestChainNoBlocks(t, id)
	c.keys, c.vals = validatorSet(id, n, keyType)
	c.ta.NextBlock()
	return c
}

// newTestChainNoBlocks is chain id after InitChain, without validators or blocks.
func newTestChainNoBlocks(t testing.TB, id string) *testChain {
	t.Helper()
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1), testutil.NewAccount(2), testutil.NewAccount(3)}
	var state map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 1_000_000_000), &state))
	var bg bridge.GenesisState
	require.NoError(t, runtime.UnmarshalGenesis(state[bridge.ModuleName], &bg))
	bg.Params.Authority = accs[3].Addr.String()
	bz, err := runtime.MarshalGenesis(&bg)
	require.NoError(t, err)
	state[bridge.ModuleName] = bz
	appState, err := json.Marshal(state)
	require.NoError(t, err)

	c := &testChain{t: t, id: id, relayer: accs[0], alice: accs[1], bob: accs[2], authority: accs[3]}
	c.ta = testutil.NewTestAppOnChain(t, id, nil, testutil.Config(), appState)
	t.Cleanup(func() { c.ta.Close() })
	return c
}

// validatorSet makes n deterministic validators of equal power, in set order.
func validatorSet(seed string, n int, keyType string) ([]cmtcrypto.PrivKey, *cmttypes.ValidatorSet) {
	var keys []cmtcrypto.PrivKey
	var vs []*cmttypes.Validator
	for i := range n {
		s := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(seed+"/validator/"), uint64(i)))
		var k cmtcrypto.PrivKey
		if keyType == "ml_dsa_65" {
			mk, err := mldsa65.GenPrivKeyFromSeed(s[:])
			if err != nil {
				panic(err)
			}
			k = mk
		} else {
			k = ed25519.GenPrivKeyFromSecret(s[:])
		}
		keys = append(keys, k)
		vs = append(vs, cmttypes.NewValidator(k.PubKey(), 10))
	}
	set := cmttypes.NewValidatorSet(vs)
	// NewValidatorSet sorts; put the keys in the same order.
	ordered := make([]cmtcrypto.PrivKey, len(keys))
	for i, v := range set.Validators {
		for _, k := range keys {
			if string(k.PubKey().Address()) == string(v.Address) {
				ordered[i] = k
			}
		}
	}
	return ordered, set
}

// signHeader builds and signs a header of chain id at height with appHash and time,
// by the validators of set whose index sign allows (nil: all).
func signHeader(id string, height int64, appHash []byte, tm time.Time, keys []cmtcrypto.PrivKey, set, next *cmttypes.ValidatorSet, sign func(i int) bool) *cmttypes.SignedHeader {
	h := &cmttypes.Header{
		Version:            cmtversion.Consensus{Block: version.BlockProtocol},
		ChainID:            id,
		Height:             height,
		Time:               tm,
		LastBlockID:        cmttypes.BlockID{Hash: tmhash.Sum([]byte("last")), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("parts"))}},
		LastCommitHash:     tmhash.Sum([]byte("last_commit")),
		DataHash:           tmhash.Sum([]byte("data")),
		ValidatorsHash:     set.Hash(),
		NextValidatorsHash: next.Hash(),
		ConsensusHash:      tmhash.Sum([]byte("consensus")),
		AppHash:            appHash,
		LastResultsHash:    tmhash.Sum([]byte("results")),
		EvidenceHash:       tmhash.Sum([]byte("evidence")),
		ProposerAddress:    set.Validators[0].Address,
	}
	blockID := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("parts"))}}
	sigs := make([]cmttypes.CommitSig, len(set.Validators))
	for i, v := range set.Validators {
		if sign != nil && !sign(i) {
			sigs[i] = cmttypes.NewCommitSigAbsent()
			continue
		}
		vote := &cmttypes.Vote{Type: cmtproto.PrecommitType, Height: height, BlockID: blockID, Timestamp: tm, ValidatorAddress: v.Address, ValidatorIndex: int32(i)}
		sig, err := keys[i].Sign(cmttypes.VoteSignBytes(id, vote.ToProto()))
		if err != nil {
			panic(err)
		}
		sigs[i] = cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagCommit, ValidatorAddress: v.Address, Timestamp: tm, Signature: sig}
	}
	return &cmttypes.SignedHeader{Header: h, Commit: &cmttypes.Commit{Height: height, BlockID: blockID, Signatures: sigs}}
}

func marshalSet(t testing.TB, set *cmttypes.ValidatorSet) []byte {
	vp, err := set.ToProto()
	require.NoError(t, err)
	bz, err := vp.Marshal()
	require.NoError(t, err)
	return bz
}

// header is this chain's header at its next height: it commits the state this chain
// last committed (the trap: header H's app hash is the state after block H-1).
func (c *testChain) header() *cmttypes.SignedHeader {
	return signHeader(c.id, c.ta.Height+1, c.ta.LastCommitID().Hash, c.ta.Time.Add(time.Second), c.keys, c.vals, c.vals, nil)
}

// bridgeHeader wraps a signed header for a message; trusted > 0 adds the trusted set.
func (c *testChain) bridgeHeader(sh *cmttypes.SignedHeader, trusted uint64) bridge.Header {
	bz, err := sh.ToProto().Marshal()
	require.NoError(c.t, err)
	h := bridge.Header{SignedHeader: bz, ValidatorSet: marshalSet(c.t, c.vals)}
	if trusted > 0 {
		h.TrustedHeight, h.TrustedValidators = trusted, marshalSet(c.t, c.vals)
	}
	return h
}

// deliver runs msgs signed by acc in a block of c and returns the tx result.
func (c *testChain) deliver(acc *testutil.Account, msgs ...runtime.Msg) *abci.ExecTxResult {
	c.t.Helper()
	res := c.ta.NextBlock(testutil.SignTx(acc, testutil.TxOpts{ChainID: c.id, Gas: 20_000_000}, msgs...))
	return res.TxResults[0]
}

// ok delivers msgs and requires success.
func (c *testChain) ok(acc *testutil.Account, msgs ...runtime.Msg) *abci.ExecTxResult {
	c.t.Helper()
	r := c.deliver(acc, msgs...)
	require.Zero(c.t, r.Code, r.Log)
	return r
}

// fails delivers msgs, requires the error (codespace bridge unless the code is of
// another space) and that the bridge store and every balance stayed as they were.
func (c *testChain) fails(acc *testutil.Account, wantErr *runtime.Error, msgs ...runtime.Msg) *abci.ExecTxResult {
	c.t.Helper()
	before := c.bridgeRoot()
	r := c.deliver(acc, msgs...)
	require.Equal(c.t, wantErr.Code(), r.Code, r.Log)
	require.Equal(c.t, wantErr.Codespace(), r.Codespace, r.Log)
	require.Equal(c.t, before, c.bridgeRoot(), "a refused bridge message changed the bridge store")
	// A message refused before the ante (ValidateBasic) does not use up the sequence.
	res, err := auth.NewQueryClient(c.ta).Account(c.ctx(), &auth.QueryAccountRequest{Address: acc.Addr.String()})
	require.NoError(c.t, err)
	acc.Seq = res.Account.Sequence
	return r
}

// bridgeRoot is the root hash of c's committed bridge tree: the store proof of
// any key carries it.
func (c *testChain) bridgeRoot() []byte {
	res, err := c.ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/bridge/key", Data: []byte{0xff}, Prove: true})
	require.NoError(c.t, err)
	require.Zero(c.t, res.Code, res.Log)
	var sp ics23.CommitmentProof
	require.NoError(c.t, sp.Unmarshal(res.ProofOps.Ops[1].Data))
	return sp.GetExist().Value
}

// proof reads key from c's bridge store at its last committed version, with proof.
func (c *testChain) proof(key []byte) (value, proof []byte) {
	res, err := c.ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/bridge/key", Data: key, Prove: true})
	require.NoError(c.t, err)
	require.Zero(c.t, res.Code, res.Log)
	bz, err := res.ProofOps.Marshal()
	require.NoError(c.t, err)
	return res.Value, bz
}

func (c *testChain) balance(acc *testutil.Account, denom string) types.Int {
	return c.ta.Balance(acc.Addr, denom)
}

func (c *testChain) query() bridge.QueryClient { return bridge.NewQueryClient(c.ta) }

func (c *testChain) ctx() context.Context { return context.Background() }

// eventAttr is the value of attribute key of the first event of type typ in r.
func eventAttr(t testing.TB, r *abci.ExecTxResult, typ, key string) string {
	t.Helper()
	for _, e := range r.Events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key {
				return a.Value
			}
		}
	}
	t.Fatalf("no %s.%s in events %v", typ, key, r.Events)
	return ""
}
