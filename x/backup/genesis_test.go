package backup_test

import (
	"context"
	"encoding/json"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/backup"
)

func backupSection(t testing.TB, appState json.RawMessage) backup.GenesisState {
	var state map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(appState, &state))
	var gs backup.GenesisState
	require.NoError(t, runtime.UnmarshalGenesis(state[backup.ModuleName], &gs))
	return gs
}

// quiet says whether nothing of x/backup falls due at height h (so a block at h
// leaves its state as it was).
func quiet(gs backup.GenesisState, h int64) bool {
	if uint64(h)%gs.Params.ChallengeInterval == 0 {
		return false
	}
	for _, a := range gs.Agreements {
		if a.NextPaymentHeight == h || (a.Status == backup.STATUS_ENDING && a.EndHeight == h) ||
			(!a.Status.IsOpen() && a.EndHeight+int64(gs.Params.RetainBlocks) == h) {
			return false
		}
	}
	for _, ch := range gs.Challenges {
		if ch.DeadlineHeight == h {
			return false
		}
	}
	return true
}

// An export carries agreements in every status, open challenges and the
// holders' counters; a chain started from it exports the same section, and its
// agreements go on (a pending challenge is answered on the new chain).
func TestExportImportRoundTrip(t *testing.T) {
	e, data := busyChain(t)
	e.proposeID(e.propose(1 << 10)) // one proposal too
	var exp *app.Exported
	for {
		var err error
		exp, err = e.ta.Export(0)
		require.NoError(t, err)
		if quiet(backupSection(t, exp.AppState), exp.Height+1) {
			if _, open := e.challenge(1); open {
				break
			}
		}
		e.next()
	}
	require.NoError(t, app.ValidateGenesisAppState(testutil.ChainID, exp.AppState))
	gs := backupSection(t, exp.AppState)
	statuses := map[backup.Status]bool{}
	for _, a := range gs.Agreements {
		statuses[a.Status] = true
	}
	require.True(t, statuses[backup.STATUS_PROPOSED] && statuses[backup.STATUS_ACTIVE] && statuses[backup.STATUS_FAILED], "%v", statuses)
	require.NotEmpty(t, gs.Challenges)
	require.NotEmpty(t, gs.HolderStats)

	a, err := app.New(nil, dbm.NewMemDB(), testutil.Config())
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	_, err = a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testutil.ChainID, InitialHeight: exp.Height + 1, Time: e.ta.Time, AppStateBytes: exp.AppState})
	require.NoError(t, err)
	ta := &testutil.TestApp{App: a, TB: t, Height: exp.Height, Time: e.ta.Time, Rules: testutil.NewCometBFTRules()}
	ta.NextBlock()
	exp2, err := ta.Export(0)
	require.NoError(t, err)
	require.Equal(t, gs, backupSection(t, exp2.AppState), "the imported section exports the same")

	// The open challenge of agreement 1 is answered on the new chain.
	var chs backup.QueryChallengesResponse
	ta.MustQuery("/selfchain.backup.v1.Query/Challenges", &backup.QueryChallengesRequest{AgreementId: 1}, &chs)
	require.Len(t, chs.Challenges, 1)
	res := ta.NextBlock(testutil.SignTx(e.holder, testutil.TxOpts{Gas: 5_000_000}, data[1].prove(t, e.holder, chs.Challenges[0])))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
}

func TestGenesisValidation(t *testing.T) {
	e, _ := busyChain(t)
	exp, err := e.ta.Export(0)
	require.NoError(t, err)
	good := backupSection(t, exp.AppState)
	require.NoError(t, good.Validate())
	for _, tc := range []struct {
		mut  func(gs *backup.GenesisState)
		want string
	}{
		{func(gs *backup.GenesisState) { gs.NextAgreementId = 2 }, "is not below next_agreement_id"},
		{func(gs *backup.GenesisState) { gs.Agreements[0].Owner = "nobody" }, "agreements[0]: owner"},
		{func(gs *backup.GenesisState) { gs.Agreements[1], gs.Agreements[0] = gs.Agreements[0], gs.Agreements[1] }, "ids must be increasing"},
		{func(gs *backup.GenesisState) { gs.HolderStats[0].Stats.UsedBytes++ }, "holder_stats[0]: open_agreements"},
		{func(gs *backup.GenesisState) { gs.HolderStats = nil }, "holder_stats: no entry"},
		{func(gs *backup.GenesisState) { gs.Agreements[0].Root = []byte{1} }, "manifest"},
		{func(gs *backup.GenesisState) { gs.Params.MaxMisses = 0 }, "params.max_misses"},
		{func(gs *backup.GenesisState) {
			gs.Challenges = append(gs.Challenges, backup.Challenge{AgreementId: 2, Seed: make([]byte, 32)})
		}, "not an active agreement"},
		{func(gs *backup.GenesisState) { gs.Challenges[0].Root = make([]byte, 32) }, "must be agreement"},
		{func(gs *backup.GenesisState) { gs.Challenges[0].AnsweredHeight = 5 }, "genesis lists open challenges only"},
	} {
		bz, err := runtime.MarshalGenesis(&good)
		require.NoError(t, err)
		var gs backup.GenesisState
		require.NoError(t, runtime.UnmarshalGenesis(bz, &gs))
		tc.mut(&gs)
		require.ErrorContains(t, gs.Validate(), tc.want)
	}
}
