package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/permissions"
	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

// exportParams are the consensus params both chains of the export tests run with.
func exportParams() *cmtproto.ConsensusParams {
	return &cmtproto.ConsensusParams{Validator: &cmtproto.ValidatorParams{PubKeyTypes: []string{"ed25519", "ml_dsa_65"}}}
}

// exportChain is a chain with two PoAI genesis validators and accs funded with
// 100 SELF each, on which a block of each module's txs has run.
func exportChain(t *testing.T, db dbm.DB, cfg app.Config) (*testutil.TestApp, []*testutil.Account) {
	accs := make([]*testutil.Account, 6)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	state := map[string]json.RawMessage{}
	require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 100_000_000), &state))
	gs := poai.DefaultGenesis()
	gs.Params.EpochLength = 4 // the newcomer joins the set at block 8, and history is written
	for i, v := range voteexttest.NewSet(7, []int64{10, 5}).Vals {
		op := testutil.NewAccount(100 + i).Addr
		proof, err := poai.SignKeyProof(v.Priv, testutil.ChainID, op)
		require.NoError(t, err)
		gs.Validators = append(gs.Validators, poai.Validator{OperatorAddress: op.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(v.Priv.PubKey()),
			SelfStake: uint64(v.Power) * poai.PowerReduction, ModelName: "builtin", Moniker: fmt.Sprintf("val%d", i), ConsensusKeyProof: proof})
	}
	raw, err := runtime.MarshalGenesis(&gs)
	require.NoError(t, err)
	state[poai.ModuleName] = raw
	bz, err := json.Marshal(state)
	require.NoError(t, err)

	if db == nil {
		db = dbm.NewMemDB()
	}
	a, err := app.New(nil, db, cfg)
	require.NoError(t, err)
	ta := &testutil.TestApp{App: a, TB: t, DB: db, Time: time.Unix(1_700_000_000, 0).UTC(), Rules: testutil.NewCometBFTRules()}
	t.Cleanup(func() { _ = ta.Close() })
	_, err = a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testutil.ChainID, InitialHeight: 1, Time: ta.Time, AppStateBytes: bz, ConsensusParams: exportParams()})
	require.NoError(t, err)
	ta.NextBlock()

	ok := func(res *abci.ResponseFinalizeBlock) {
		t.Helper()
		for i, r := range res.TxResults {
			require.Zero(t, r.Code, "tx %d: %s", i, r.Log)
		}
	}
	fresh := testutil.NewAccount(50)
	ok(ta.NextBlock( // bank (and auth: a new account, public keys, sequences)
		testutil.Send(accs[0], accs[1].Addr, 1234, testutil.TxOpts{Fee: fee(10)}),
		testutil.Send(accs[1], fresh.Addr, 5_000_000, testutil.TxOpts{Fee: fee(10)}),
	))
	ok(ta.NextBlock(testutil.SignTx(accs[2], testutil.TxOpts{Gas: 400_000}, testutil.RegisterNodeMsg(accs[2].Addr, "export-test-node/1"))))
	pub := accs[3].Key.PubKey()
	ok(ta.NextBlock(testutil.SignTx(accs[3], testutil.TxOpts{}, &permissions.MsgRegisterApp{
		Owner: accs[3].Addr.String(), Id: "notes", Name: "Notes", Homepage: "https://notes.example",
		PubKeys: []types.PubKey{{Type: pub.Type(), Key: pub.Bytes()}}, Scopes: []string{"storage:read", "bank:send"},
		Deposit: fee(permissions.DefaultMinDeposit),
	})))
	ok(ta.NextBlock(testutil.SignTx(accs[4], testutil.TxOpts{}, &permissions.MsgGrant{
		User: accs[4].Addr.String(), AppId: "notes", Scopes: []string{"storage:read", "bank:send"}, ExpiryHeight: 10_000,
		SpendLimit: fee(1_000_000),
	})))
	ck := ed25519.GenPrivKeyFromSecret([]byte("export-test-validator"))
	proof, err := poai.SignKeyProof(ck, testutil.ChainID, accs[5].Addr)
	require.NoError(t, err)
	ok(ta.NextBlock(testutil.SignTx(accs[5], testutil.TxOpts{Gas: 400_000}, &poai.MsgCreateValidator{
		OperatorAddress: accs[5].Addr.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(ck.PubKey()),
		SelfStake: types.NewCoin(testutil.Denom, 3_000_000), ModelName: "llama-3.1-8b", ModelHash: bytes.Repeat([]byte{7}, 32), Moniker: "newcomer", ConsensusKeyProof: proof,
	})))
	for ta.Height < 9 {
		ta.NextBlock()
	}
	return ta, accs
}

// importExport starts a fresh app from exp as CometBFT would from the genesis
// `selfchaind export` writes: initial height exp.Height+1, exp's validators.
func importExport(t *testing.T, exp *app.Exported, blockTime time.Time) (*testutil.TestApp, *abci.ResponseInitChain) {
	db := dbm.NewMemDB()
	a, err := app.New(nil, db, testutil.Config())
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	var vals []abci.ValidatorUpdate
	for _, v := range exp.Validators {
		pk, err := cryptoenc.PubKeyToProto(v.PubKey)
		require.NoError(t, err)
		vals = append(vals, abci.ValidatorUpdate{PubKey: pk, Power: v.Power})
	}
	res, err := a.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: testutil.ChainID, InitialHeight: exp.Height + 1, Time: blockTime, AppStateBytes: exp.AppState,
		ConsensusParams: exportParams(), Validators: vals,
	})
	require.NoError(t, err)
	return &testutil.TestApp{App: a, TB: t, DB: db, Height: exp.Height, Time: blockTime, Rules: testutil.NewCometBFTRules()}, res
}

// notCarried are the stored records an export does not carry, by store and
// collection prefix byte, each for a reason (docs/OPERATIONS.md, "Export"):
// per-block bookkeeping of the chain that made them, rebuilt by the new chain.
var notCarried = map[string]map[byte]string{
	poai.ModuleName: {
		5:  "epoch: the new chain's first epoch starts at its initial height",
		8:  "block_txs: the txs of recent blocks, read by the next block's vote extensions",
		22: "pending_scores: the old chain's last blocks still in their score window",
		23: "reports: validators' scores on those blocks",
	},
}

// An export at H started as a new chain (InitChain with initial height H+1)
// holds the same state, store for store, but for the records notCarried names;
// the validator set is the same; exporting twice gives the same bytes; the new
// chain goes on producing blocks.
func TestExportRoundTrip(t *testing.T) {
	src, accs := exportChain(t, nil, testutil.Config())
	h := src.Height

	exp, err := src.Export(0)
	require.NoError(t, err)
	require.Equal(t, h, exp.Height)
	require.Equal(t, src.LastCommitID().Hash, exp.AppHash)
	again, err := src.Export(h)
	require.NoError(t, err)
	require.Equal(t, exp.AppState, again.AppState, "the same state exports the same bytes")
	require.NoError(t, app.ValidateGenesisAppState(testutil.ChainID, exp.AppState))
	require.Len(t, exp.Validators, 3, "CometBFT's set: the two genesis validators and the one created at block 6, in since the epoch at block 8")

	dst, res := importExport(t, exp, src.Time)
	require.Len(t, res.Validators, len(exp.Validators), "InitChain answers with the exported set")
	for i, u := range res.Validators {
		require.Equal(t, exp.Validators[i].Power, u.Power)
		pk, err := cryptoenc.PubKeyFromProto(u.PubKey)
		require.NoError(t, err)
		require.True(t, pk.Equals(exp.Validators[i].PubKey))
	}

	want, err := src.StoreContentsForTest(h)
	require.NoError(t, err)
	got, err := dst.StoreContentsForTest(-1)
	require.NoError(t, err)
	for _, name := range app.Modules().Names() {
		w, g := carried(name, want[name]), carried(name, got[name])
		require.NotEmpty(t, w, name)
		require.Equal(t, len(w), len(g), "%s: %d records at the source, %d imported", name, len(w), len(g))
		for i := range w {
			require.Equal(t, fmt.Sprintf("%X", w[i].Key), fmt.Sprintf("%X", g[i].Key), "%s record %d", name, i)
			require.Equal(t, fmt.Sprintf("%X", w[i].Value), fmt.Sprintf("%X", g[i].Value), "%s key %X", name, w[i].Key)
		}
	}
	// Restarted from height 1 instead (a new chain id's choice), it runs too.
	one := *exp
	one.Height = 0
	low, _ := importExport(t, &one, src.Time)
	low.NextBlock()
	require.Equal(t, int64(1), low.LastCommitID().Version)

	// The new chain runs: its first block is H+1, and the accounts' sequences carried over.
	res2 := dst.NextBlock(testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{Fee: fee(10)}))
	require.Zero(t, res2.TxResults[0].Code, res2.TxResults[0].Log)
	require.Equal(t, h+1, dst.LastCommitID().Version)
}

// carried drops the records an export does not carry.
func carried(store string, kvs []app.KV) []app.KV {
	skip := notCarried[store]
	var out []app.KV
	for _, kv := range kvs {
		if _, ok := skip[kv.Key[0]]; ok && len(kv.Key) > 0 {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// An export at a height the node pruned, or not committed yet, says so.
func TestExportRefusesPrunedAndFutureHeights(t *testing.T) {
	cfg := testutil.Config()
	cfg.State.Pruning, cfg.State.PruningKeepRecent, cfg.State.PruningInterval = "custom", 2, 1
	src, _ := exportChain(t, nil, cfg)
	_, err := src.Export(2)
	require.ErrorContains(t, err, "export at height 2: store: version 2 does not exist (pruned or never committed")
	require.ErrorContains(t, err, "state.pruning")
	_, err = src.Export(src.Height + 1)
	require.ErrorContains(t, err, "is not committed yet")
	_, err = src.Export(src.Height - 1) // kept
	require.NoError(t, err)
}
