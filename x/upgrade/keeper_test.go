package upgrade_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/upgrade"
)

func setup(t *testing.T, height int64) (*runtime.Context, upgrade.Keeper, string) {
	t.Helper()
	ctx := testutil.KeeperContext(nil, "test-1", height)
	k := upgrade.NewKeeper(runtime.NewKVStoreService(upgrade.ModuleName))
	gs := upgrade.DefaultGenesis()
	gs.Params.Authority = testutil.Addr(1).String()
	require.NoError(t, gs.Validate())
	require.NoError(t, k.InitGenesis(ctx, gs))
	return ctx, k, gs.Params.Authority
}

func TestScheduleCancelApply(t *testing.T) {
	ctx, k, auth := setup(t, 10)
	q := upgrade.NewQueryServer(k)

	plan := upgrade.Plan{Name: "v2", Height: 20, Info: "i"}
	require.NoError(t, k.ScheduleUpgrade(ctx, auth, plan))
	got, err := q.CurrentPlan(ctx, &upgrade.QueryCurrentPlanRequest{})
	require.NoError(t, err)
	require.Equal(t, &plan, got.Plan)

	// A new plan replaces it.
	plan2 := upgrade.Plan{Name: "v2b", Height: 30}
	require.NoError(t, k.ScheduleUpgrade(ctx, auth, plan2))
	p, ok, err := k.CurrentPlan(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, plan2, p)

	require.NoError(t, k.CancelUpgrade(ctx, auth))
	got, err = q.CurrentPlan(ctx, &upgrade.QueryCurrentPlanRequest{})
	require.NoError(t, err)
	require.Nil(t, got.Plan)
	require.True(t, errors.Is(k.CancelUpgrade(ctx, auth), upgrade.ErrNoPlan))

	// Applied: recorded, cleared, and the name cannot be planned again.
	require.NoError(t, k.ScheduleUpgrade(ctx, auth, plan))
	require.NoError(t, k.MarkApplied(ctx, plan))
	_, ok, err = k.CurrentPlan(ctx)
	require.NoError(t, err)
	require.False(t, ok)
	a, err := q.AppliedPlan(ctx, &upgrade.QueryAppliedPlanRequest{Name: "v2"})
	require.NoError(t, err)
	require.Equal(t, int64(20), a.Height)
	a, err = q.AppliedPlan(ctx, &upgrade.QueryAppliedPlanRequest{Name: "never"})
	require.NoError(t, err)
	require.Zero(t, a.Height)
	require.ErrorIs(t, k.ScheduleUpgrade(ctx, auth, upgrade.Plan{Name: "v2", Height: 40}), upgrade.ErrAlreadyApplied)
}

func TestScheduleRefusals(t *testing.T) {
	ctx, k, auth := setup(t, 10)
	for _, tc := range []struct {
		signer string
		plan   upgrade.Plan
		want   error
	}{
		{testutil.Addr(2).String(), upgrade.Plan{Name: "v2", Height: 20}, upgrade.ErrNotAuthority},
		{auth, upgrade.Plan{Name: "v2", Height: 10}, upgrade.ErrPlanInPast},
		{auth, upgrade.Plan{Name: "", Height: 20}, upgrade.ErrInvalidPlan},
		{auth, upgrade.Plan{Name: "a/b", Height: 20}, upgrade.ErrInvalidPlan},
		{auth, upgrade.Plan{Name: string(make([]byte, upgrade.MaxNameLen+1)), Height: 20}, upgrade.ErrInvalidPlan},
		{auth, upgrade.Plan{Name: "v2", Height: 20, Info: string(make([]byte, upgrade.MaxInfoLen+1))}, upgrade.ErrInfoTooLarge},
	} {
		require.ErrorIs(t, k.ScheduleUpgrade(ctx, tc.signer, tc.plan), tc.want, "%+v", tc.plan.Name)
		_, ok, err := k.CurrentPlan(ctx)
		require.NoError(t, err)
		require.False(t, ok)
	}
	require.ErrorIs(t, (&upgrade.MsgCancelUpgrade{Authority: "nope"}).ValidateBasic(), runtime.ErrInvalidAddress)
}

func TestModuleVersions(t *testing.T) {
	ctx, k, _ := setup(t, 1)
	require.NoError(t, k.SetModuleVersions(ctx, []string{"b", "a", "c"}, runtime.VersionMap{"a": 1, "b": 2}))
	vm, err := k.GetModuleVersions(ctx)
	require.NoError(t, err)
	require.Equal(t, runtime.VersionMap{"a": 1, "b": 2}, vm)
	// Replacing drops modules no longer listed.
	require.NoError(t, k.SetModuleVersions(ctx, []string{"a"}, runtime.VersionMap{"a": 3}))
	res, err := upgrade.NewQueryServer(k).ModuleVersions(ctx, &upgrade.QueryModuleVersionsRequest{})
	require.NoError(t, err)
	require.Equal(t, []upgrade.ModuleVersion{{Name: "a", Version: 3}}, res.ModuleVersions)
	_, err = upgrade.NewQueryServer(k).ModuleVersions(ctx, &upgrade.QueryModuleVersionsRequest{ModuleName: "b"})
	require.ErrorIs(t, err, runtime.ErrNotFound)
}
