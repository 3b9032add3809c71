package upgrade

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
)

// ModuleName is the module's name, store name, codespace and genesis key.
const ModuleName = "upgrade"

// Store prefixes; never reuse one (stored bytes would be misread).
var (
	paramsPrefix   = collections.NewPrefix(1)
	planPrefix     = collections.NewPrefix(2)
	appliedPrefix  = collections.NewPrefix(3)
	versionsPrefix = collections.NewPrefix(4)
)

// PlanKey is where the scheduled plan is stored: the app reads it from committed
// state before opening its stores, to learn whether this start is an upgrade.
func PlanKey() []byte { return planPrefix.Bytes() }

// Keeper owns the scheduled plan, the plans applied (name → height) and each
// module's consensus version as stored (set at InitChain and after every upgrade).
type Keeper struct {
	Schema         collections.Schema
	Params         collections.Item[Params]
	Plan           collections.Item[Plan]
	Applied        collections.Map[string, int64]
	ModuleVersions collections.Map[string, uint64]
}

func NewKeeper(storeService runtime.KVStoreService) Keeper {
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		Params:         collections.NewItem(sb, paramsPrefix, "params", runtime.ProtoValue[Params, *Params]{}),
		Plan:           collections.NewItem(sb, planPrefix, "plan", runtime.ProtoValue[Plan, *Plan]{}),
		Applied:        collections.NewMap(sb, appliedPrefix, "applied", collections.StringKey, collections.Int64Value),
		ModuleVersions: collections.NewMap(sb, versionsPrefix, "module_versions", collections.StringKey, collections.Uint64Value),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("upgrade: schema: %v", err)) // fixed at compile time: a bug, not an input
	}
	k.Schema = schema
	return k
}

// DecodePlan reads a plan as stored under PlanKey.
func DecodePlan(bz []byte) (Plan, error) {
	var p Plan
	err := p.Unmarshal(bz)
	return p, err
}

// CurrentPlan is the scheduled plan; ok is false when there is none.
func (k Keeper) CurrentPlan(ctx context.Context) (p Plan, ok bool, err error) {
	p, err = k.Plan.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return Plan{}, false, nil
	}
	return p, err == nil, err
}

// ScheduleUpgrade validates plan against the chain and stores it, replacing any
// plan not yet executed.
func (k Keeper) ScheduleUpgrade(ctx context.Context, authority string, plan Plan) error {
	if err := k.checkAuthority(ctx, authority); err != nil {
		return err
	}
	if err := plan.ValidateBasic(); err != nil {
		return err
	}
	if h := runtime.Unwrap(ctx).BlockHeight(); plan.Height <= h {
		return ErrPlanInPast.Wrapf("height %d: the chain is at %d; plan a later height", plan.Height, h)
	}
	if at, err := k.Applied.Get(ctx, plan.Name); err == nil {
		return ErrAlreadyApplied.Wrapf("plan %q ran at height %d; give the new upgrade a new name", plan.Name, at)
	} else if !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if err := k.Plan.Set(ctx, plan); err != nil {
		return err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypePlan, AttrName, plan.Name, AttrHeight, fmt.Sprint(plan.Height))
	return nil
}

// CancelUpgrade removes the scheduled plan.
func (k Keeper) CancelUpgrade(ctx context.Context, authority string) error {
	if err := k.checkAuthority(ctx, authority); err != nil {
		return err
	}
	p, ok, err := k.CurrentPlan(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoPlan.Wrap("nothing to cancel")
	}
	if err := k.Plan.Remove(ctx); err != nil {
		return err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeCancel, AttrName, p.Name, AttrHeight, fmt.Sprint(p.Height))
	return nil
}

func (k Keeper) checkAuthority(ctx context.Context, signer string) error {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if signer != p.Authority {
		return ErrNotAuthority.Wrapf("%s may not plan or cancel upgrades; the authority is %s", signer, p.Authority)
	}
	return nil
}

// MarkApplied records that plan ran (at its height) and clears it.
func (k Keeper) MarkApplied(ctx context.Context, plan Plan) error {
	if err := k.Applied.Set(ctx, plan.Name, plan.Height); err != nil {
		return err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeApplied, AttrName, plan.Name, AttrHeight, fmt.Sprint(plan.Height))
	return k.Plan.Remove(ctx)
}

// SetModuleVersions replaces the recorded versions with vm, visiting names in
// order (modules removed by an upgrade are dropped).
func (k Keeper) SetModuleVersions(ctx context.Context, names []string, vm runtime.VersionMap) error {
	if err := k.ModuleVersions.Clear(ctx, nil); err != nil {
		return err
	}
	for _, name := range names {
		if v, ok := vm[name]; ok {
			if err := k.ModuleVersions.Set(ctx, name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// GetModuleVersions is the recorded version of every module.
func (k Keeper) GetModuleVersions(ctx context.Context) (runtime.VersionMap, error) {
	vm := runtime.VersionMap{}
	err := k.ModuleVersions.Walk(ctx, nil, func(name string, v uint64) (bool, error) {
		vm[name] = v
		return false, nil
	})
	return vm, err
}

// Events and their attributes.
const (
	EventTypePlan    = "upgrade_planned"
	EventTypeCancel  = "upgrade_cancelled"
	EventTypeApplied = "upgrade_applied"
	AttrName         = "name"
	AttrHeight       = "height"
)
