package app_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/upgrade"
)

// counterModule stores records under "r/<i>": at consensus version 1 as decimal
// text, at version 2 as 8-byte big-endian integers (its 1->2 migration rewrites them).
type counterModule struct {
	version uint64
	records int
}

var counterStore = runtime.NewKVStoreService("counter")

func (counterModule) Name() string               { return "counter" }
func (m counterModule) ConsensusVersion() uint64 { return m.version }

func (m counterModule) DefaultGenesis() json.RawMessage     { return json.RawMessage(`{}`) }
func (counterModule) ValidateGenesis(json.RawMessage) error { return nil }
func (counterModule) ExportGenesis(context.Context) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}
func (m counterModule) InitGenesis(ctx context.Context, _ json.RawMessage) error {
	kv := counterStore.OpenKVStore(ctx)
	for i := range m.records {
		if err := kv.Set(counterKey(i), []byte(strconv.Itoa(i*7))); err != nil {
			return err
		}
	}
	return nil
}

func counterKey(i int) []byte { return binary.BigEndian.AppendUint64([]byte("r/"), uint64(i)) }

func (m counterModule) RegisterMigrations(r *runtime.Migrations) error {
	return r.Register(1, migrateCounter)
}

// migrateCounter rewrites every record from decimal text to 8 bytes big-endian.
func migrateCounter(ctx context.Context) error {
	kv := counterStore.OpenKVStore(ctx)
	it, err := kv.Iterator([]byte("r/"), []byte("r0"))
	if err != nil {
		return err
	}
	type rec struct{ k, v []byte }
	var recs []rec
	for ; it.Valid(); it.Next() {
		n, err := strconv.ParseUint(string(it.Value()), 10, 64)
		if err != nil {
			_ = it.Close()
			return err
		}
		recs = append(recs, rec{append([]byte(nil), it.Key()...), binary.BigEndian.AppendUint64(nil, n)})
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	for _, r := range recs {
		if err := kv.Set(r.k, r.v); err != nil {
			return err
		}
	}
	return nil
}

// extraModule is a module a release adds: its store comes with the upgrade and
// its default genesis runs at the upgrade height.
type extraModule struct{}

var extraStore = runtime.NewKVStoreService("extra")

func (extraModule) Name() string                          { return "extra" }
func (extraModule) ConsensusVersion() uint64              { return 1 }
func (extraModule) DefaultGenesis() json.RawMessage       { return json.RawMessage(`{}`) }
func (extraModule) ValidateGenesis(json.RawMessage) error { return nil }
func (extraModule) ExportGenesis(context.Context) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}
func (extraModule) InitGenesis(ctx context.Context, _ json.RawMessage) error {
	return extraStore.OpenKVStore(ctx).Set([]byte("born"), []byte("at-upgrade"))
}

var (
	v1Modules = func(records int) func(a *app.App) []runtime.Module {
		return func(a *app.App) []runtime.Module {
			return append(app.DefaultModules(a), counterModule{version: 1, records: records})
		}
	}
	v2Modules = func(a *app.App) []runtime.Module {
		return append(app.DefaultModules(a), counterModule{version: 2}, extraModule{})
	}
	v2Handlers = func(*app.App) []app.UpgradeHandler {
		return []app.UpgradeHandler{{Name: "v2", StoreUpgrades: store.Upgrades{Added: []string{"extra"}}}}
	}
)

// upgradeGenesis funds accs and makes accs[0] the upgrade authority.
func upgradeGenesis(t testing.TB, accs []*testutil.Account) json.RawMessage {
	var state map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 1_000_000_000), &state))
	gs := upgrade.DefaultGenesis()
	gs.Params.Authority = accs[0].Addr.String()
	raw, err := runtime.MarshalGenesis(&gs)
	require.NoError(t, err)
	state[upgrade.ModuleName] = raw
	bz, err := json.Marshal(state)
	require.NoError(t, err)
	return bz
}

func reopen(t *testing.T, db dbm.DB, cfg app.Config, prev *testutil.TestApp) (*testutil.TestApp, error) {
	a, err := app.New(nil, db, cfg)
	if err != nil {
		return nil, err
	}
	ta := &testutil.TestApp{App: a, TB: t, DB: db, Height: prev.Height, Time: prev.Time, Rules: prev.Rules, Blocks: prev.Blocks}
	t.Cleanup(func() { _ = a.Close() })
	return ta, nil
}

func planTx(acc *testutil.Account, plan upgrade.Plan) []byte {
	return testutil.SignTx(acc, testutil.TxOpts{}, &upgrade.MsgSoftwareUpgrade{Authority: acc.Addr.String(), Plan: plan})
}

func currentPlan(ta *testutil.TestApp) *upgrade.Plan {
	var res upgrade.QueryCurrentPlanResponse
	ta.MustQuery("/selfchain.upgrade.v1.Query/CurrentPlan", &upgrade.QueryCurrentPlanRequest{}, &res)
	return res.Plan
}

// runUpgradeScenario plans "v2", halts at its height on the v1 module list, is
// refused by a v1 binary and by a v2 binary started early, opens the same DB with
// the v2 list and handler, and goes on. It returns every committed app hash.
func runUpgradeScenario(t *testing.T) [][]byte {
	app.SetModuleListForTest(t, v1Modules(5))
	app.SetUpgradeHandlersForTest(t, func(*app.App) []app.UpgradeHandler { return nil })
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	db := dbm.NewMemDB()
	cfg := testutil.Config()
	cfg.UpgradeInfoDir = t.TempDir()
	ta := testutil.NewTestApp(t, db, cfg, upgradeGenesis(t, accs))
	ta.NextBlock()

	// InitChain recorded every module's version.
	var vs upgrade.QueryModuleVersionsResponse
	ta.MustQuery("/selfchain.upgrade.v1.Query/ModuleVersions", &upgrade.QueryModuleVersionsRequest{ModuleName: "counter"}, &vs)
	require.Equal(t, []upgrade.ModuleVersion{{Name: "counter", Version: 1}}, vs.ModuleVersions)

	const haltAt = 6
	plan := upgrade.Plan{Name: "v2", Height: haltAt, Info: `{"binaries":{"linux/amd64":"https://example.invalid/v2"}}`}
	res := ta.NextBlock(planTx(accs[0], plan))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, &plan, currentPlan(ta))

	// A v2 binary started before the plan height refuses.
	require.NoError(t, ta.App.Close())
	app.SetModuleListForTest(t, v2Modules)
	app.SetUpgradeHandlersForTest(t, v2Handlers)
	_, err := app.New(nil, db, cfg)
	require.ErrorContains(t, err, "BINARY UPDATED BEFORE TRIGGER")
	app.SetModuleListForTest(t, v1Modules(5))
	app.SetUpgradeHandlersForTest(t, func(*app.App) []app.UpgradeHandler { return nil })
	ta, err = reopen(t, db, cfg, ta)
	require.NoError(t, err)

	for ta.Height < haltAt-1 {
		ta.NextBlock(testutil.Send(accs[1], accs[0].Addr, 10, testutil.TxOpts{}))
	}
	// The plan height: the v1 app halts before executing the block.
	haltTxs := [][]byte{testutil.Send(accs[1], accs[0].Addr, 5, testutil.TxOpts{})}
	before := ta.LastCommitID()
	req := &abci.RequestFinalizeBlock{Height: haltAt, Time: ta.Time.Add(1e9), Txs: haltTxs, ProposerAddress: make([]byte, 20)}
	_, err = ta.FinalizeBlock(context.Background(), req)
	var uerr *app.UpgradeNeededError
	require.ErrorAs(t, err, &uerr)
	require.Equal(t, plan, uerr.Plan)
	require.Equal(t, uerr, <-ta.UpgradeHalt())
	info, err := os.ReadFile(filepath.Join(cfg.UpgradeInfoDir, app.UpgradeInfoFile))
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"v2","height":6,"info":`+strconv.Quote(plan.Info)+`}`, string(info))
	require.NoError(t, ta.App.Close())

	// Restarted on v1 at the plan height: refuses, naming the plan.
	_, err = app.New(nil, db, cfg)
	require.ErrorAs(t, err, &uerr)
	require.Contains(t, err.Error(), `UPGRADE "v2" NEEDED at height 6`)

	// The v2 binary opens the same state and executes the plan height.
	app.SetModuleListForTest(t, v2Modules)
	app.SetUpgradeHandlersForTest(t, v2Handlers)
	ta, err = reopen(t, db, cfg, ta)
	require.NoError(t, err)
	require.Equal(t, before, ta.LastCommitID())
	ta.Time = req.Time.Add(-1e9)
	res = ta.NextBlock(haltTxs...)
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	require.Contains(t, eventTypes(res.Events), upgrade.EventTypeApplied)

	// Migrated bytes, the new module's genesis, recorded versions, the applied plan.
	ctx, err := ta.CommittedContext()
	require.NoError(t, err)
	v, err := counterStore.OpenKVStore(ctx).Get(counterKey(3))
	require.NoError(t, err)
	require.Equal(t, binary.BigEndian.AppendUint64(nil, 21), v)
	v, err = extraStore.OpenKVStore(ctx).Get([]byte("born"))
	require.NoError(t, err)
	require.Equal(t, "at-upgrade", string(v))
	ta.MustQuery("/selfchain.upgrade.v1.Query/ModuleVersions", &upgrade.QueryModuleVersionsRequest{}, &vs)
	got := map[string]uint64{}
	for _, mv := range vs.ModuleVersions {
		got[mv.Name] = mv.Version
	}
	require.Equal(t, uint64(2), got["counter"])
	require.Equal(t, uint64(1), got["extra"])
	require.Equal(t, uint64(1), got[upgrade.ModuleName])
	var applied upgrade.QueryAppliedPlanResponse
	ta.MustQuery("/selfchain.upgrade.v1.Query/AppliedPlan", &upgrade.QueryAppliedPlanRequest{Name: "v2"}, &applied)
	require.Equal(t, int64(haltAt), applied.Height)
	require.Nil(t, currentPlan(ta))

	// Balances went on: 1e9 - fees(0) - 3*10 - 5.
	require.Equal(t, uint64(1_000_000_000-3*10-5), ta.Balance(accs[1].Addr, testutil.Denom).Uint64())

	// The same name cannot be planned again.
	res = ta.NextBlock(planTx(accs[0], upgrade.Plan{Name: "v2", Height: 100}))
	require.Equal(t, upgrade.ErrAlreadyApplied.Code(), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, upgrade.ModuleName, res.TxResults[0].Codespace)
	ta.NextBlock()

	// A restart after the upgrade opens plainly.
	require.NoError(t, ta.App.Close())
	ta, err = reopen(t, db, cfg, ta)
	require.NoError(t, err)
	ta.NextBlock()

	var hashes [][]byte
	for _, b := range ta.Blocks {
		hashes = append(hashes, b.AppHash)
	}
	return hashes
}

func eventTypes(evs []abci.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// An upgrade end to end through the ABCI methods, twice on fresh databases: the
// same blocks give the same app hashes (the upgrade is deterministic).
func TestUpgradeHaltMigrateContinue(t *testing.T) {
	first := runUpgradeScenario(t)
	second := runUpgradeScenario(t)
	require.Equal(t, first, second)
	require.Len(t, first, 9)
}

// Bad plans get their own codes and change no plan.
func TestUpgradeBadPlans(t *testing.T) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	ta := testutil.NewTestApp(t, nil, testutil.Config(), upgradeGenesis(t, accs))
	t.Cleanup(func() { _ = ta.Close() })
	ta.NextBlock()
	good := upgrade.Plan{Name: "v2", Height: 50, Info: "x"}
	res := ta.NextBlock(planTx(accs[0], good))
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)

	for _, tc := range []struct {
		name string
		tx   []byte
		err  *runtime.Error
		log  string
	}{
		{"unauthorised", planTx(accs[1], upgrade.Plan{Name: "v3", Height: 60}), upgrade.ErrNotAuthority, "the authority is " + accs[0].Addr.String()},
		{"in the past", planTx(accs[0], upgrade.Plan{Name: "v3", Height: 2}), upgrade.ErrPlanInPast, "the chain is at"},
		{"at this height", planTx(accs[0], upgrade.Plan{Name: "v3", Height: ta.Height + 1}), upgrade.ErrPlanInPast, "plan a later height"},
		{"empty name", planTx(accs[0], upgrade.Plan{Height: 60}), upgrade.ErrInvalidPlan, "name: empty"},
		{"bad name", planTx(accs[0], upgrade.Plan{Name: "../v3", Height: 60}), upgrade.ErrInvalidPlan, "use letters"},
		{"zero height", planTx(accs[0], upgrade.Plan{Name: "v3"}), upgrade.ErrInvalidPlan, "positive block height"},
		{"oversized info", planTx(accs[0], upgrade.Plan{Name: "v3", Height: 60, Info: strings.Repeat("i", upgrade.MaxInfoLen+1)}), upgrade.ErrInfoTooLarge, "at most 8192"},
		{"cancel unauthorised", testutil.SignTx(accs[1], testutil.TxOpts{}, &upgrade.MsgCancelUpgrade{Authority: accs[1].Addr.String()}), upgrade.ErrNotAuthority, "may not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := ta.NextBlock(tc.tx)
			r := res.TxResults[0]
			require.Equal(t, tc.err.Code(), r.Code, r.Log)
			require.Equal(t, upgrade.ModuleName, r.Codespace)
			require.Contains(t, r.Log, tc.log)
			require.Equal(t, &good, currentPlan(ta))
			syncSeq(t, ta, accs[0])
			syncSeq(t, ta, accs[1])
		})
	}

	// Cancel, then cancelling again says there is nothing to cancel.
	cancel := func() *abci.ExecTxResult {
		return ta.NextBlock(testutil.SignTx(accs[0], testutil.TxOpts{}, &upgrade.MsgCancelUpgrade{Authority: accs[0].Addr.String()})).TxResults[0]
	}
	require.Zero(t, cancel().Code)
	require.Nil(t, currentPlan(ta))
	r := cancel()
	require.Equal(t, upgrade.ErrNoPlan.Code(), r.Code, r.Log)
}

// syncSeq sets acc's sequence from state (a tx refused before the ante does not use one).
func syncSeq(t *testing.T, ta *testutil.TestApp, acc *testutil.Account) {
	ctx, err := ta.CommittedContext()
	require.NoError(t, err)
	a, _, err := ta.AuthKeeper.GetAccount(ctx, acc.Addr)
	require.NoError(t, err)
	acc.Seq = a.Sequence
}
