package poai_test

import (
	"context"
	"encoding/json"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/poai"
)

// A chain started from an export keeps the exported set with its powers, not one
// recomputed from stake: here the new validator is at power 3 mid-way through a
// capped move (its stake says 5), and the import says 3. Reputation history
// travels too.
func TestExportKeepsTheValidatorSetAndHistory(t *testing.T) {
	c := newChain(t)
	both := []abci.VoteInfo{vote(genKey, 10, true)}
	res := c.block(both, nil, c.tx(c.accs[2], createMsg(c.accs[2], newKey, newStake)))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	c.until(5, both) // epoch end at 5: power 3 of 5

	exp, err := c.apps[0].Export(0)
	require.NoError(t, err)
	powers := map[string]int64{}
	for _, v := range exp.Validators {
		powers[string(v.PubKey.Bytes())] = v.Power
	}
	require.Equal(t, map[string]int64{string(genKey.PubKey().Bytes()): 10, string(newKey.PubKey().Bytes()): 3}, powers)
	var state map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(exp.AppState, &state))
	var gs poai.GenesisState
	require.NoError(t, runtime.UnmarshalGenesis(state[poai.ModuleName], &gs))
	require.Len(t, gs.LastPowers, 2)
	require.NotEmpty(t, gs.History)

	a, err := app.New(nil, dbm.NewMemDB(), testutil.Config())
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	init, err := a.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: testutil.ChainID, InitialHeight: exp.Height + 1, Time: c.time, AppStateBytes: exp.AppState,
	})
	require.NoError(t, err)
	got := map[string]int64{}
	for _, u := range init.Validators {
		pk, err := cryptoenc.PubKeyFromProto(u.PubKey)
		require.NoError(t, err)
		got[string(pk.Bytes())] = u.Power
	}
	require.Equal(t, powers, got)
}

// last_powers and history are checked like the rest of genesis.
func TestGenesisRefusesBadLastPowersAndHistory(t *testing.T) {
	base := poai.GenesisState{Params: testParams(alice.Addr.String()), Validators: []poai.Validator{genVal(alice.Addr.String(), genKey, genStake)}}
	lp := poai.LastPower{ConsensusKey: poai.ConsensusKeyFromPubKey(genKey.PubKey()), Power: 10}
	for _, tc := range []struct {
		name string
		edit func(*poai.GenesisState)
		want string
	}{
		{"zero power", func(g *poai.GenesisState) { g.LastPowers = []poai.LastPower{{ConsensusKey: lp.ConsensusKey}} }, "last_powers[0].power: 0 is not in 1.."},
		{"twice", func(g *poai.GenesisState) { g.LastPowers = []poai.LastPower{lp, lp} }, "last_powers[1].consensus_key: already last_powers[0]'s"},
		{"bad key", func(g *poai.GenesisState) {
			g.LastPowers = []poai.LastPower{{ConsensusKey: poai.ConsensusKey{Type: "ed25519", Key: []byte{1}}, Power: 1}}
		}, "last_powers[0].consensus_key"},
		{"history of no validator", func(g *poai.GenesisState) {
			g.History = []poai.HistoryEntry{{OperatorAddress: bob.Addr.String()}}
		}, "history[0].operator_address: " + bob.Addr.String() + " is not a genesis validator"},
		{"history slot out of ring", func(g *poai.GenesisState) {
			g.History = []poai.HistoryEntry{{OperatorAddress: alice.Addr.String(), Slot: poai.ReputationHistoryLen}}
		}, "history[0].slot"},
		{"history slot twice", func(g *poai.GenesisState) {
			g.History = []poai.HistoryEntry{{OperatorAddress: alice.Addr.String(), Slot: 1}, {OperatorAddress: alice.Addr.String(), Slot: 1}}
		}, "history[1]: slot 1 of " + alice.Addr.String() + " is already history[0]"},
	} {
		gs := base
		tc.edit(&gs)
		require.ErrorContains(t, gs.Validate(), tc.want, tc.name)
	}
	ok := base
	ok.LastPowers = []poai.LastPower{lp}
	ok.History = []poai.HistoryEntry{{OperatorAddress: alice.Addr.String(), Slot: 3}}
	require.NoError(t, ok.Validate())
}
