package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/x/upgrade"
)

// UpgradeHandler is what a binary carries for the upgrade plan Name: the stores
// the upgrade adds, renames and deletes (applied when the node opens at the plan
// height), and the state changes run at that height before the block's BeginBlock.
type UpgradeHandler struct {
	Name          string
	StoreUpgrades store.Upgrades
	// Migrate runs the upgrade's state changes and returns the module versions now
	// in state; nil runs the modules' migrations (RunMigrations) alone. A custom
	// Migrate calls a.RunMigrations itself.
	Migrate func(ctx context.Context, a *App, plan upgrade.Plan, from runtime.VersionMap) (runtime.VersionMap, error)
}

// upgradeHandlers is the list of upgrades this binary applies, one entry per plan
// name (the module list's companion: a release that adds, renames or removes a
// module, or bumps a consensus version, adds its entry here). Entries stay after
// the upgrade ran: a node syncing the chain from genesis replays it.
func upgradeHandlers(a *App) []UpgradeHandler { return nil }

// upgradeList is upgradeHandlers; tests and the upgrade_v2_test build swap it.
var upgradeList = upgradeHandlers

// ExitCodeUpgradeNeeded is selfchaind's exit status when it stops, or refuses to
// start, because the chain reached an upgrade this binary has no handler for: an
// orchestrator (Cosmovisor reads <data>/upgrade-info.json; constellation) swaps the
// binary and starts the node again.
const ExitCodeUpgradeNeeded = 3

// UpgradeInfoFile is the file, in the node's data directory, naming the upgrade
// the node stopped for (Cosmovisor's format: name, height, info).
const UpgradeInfoFile = "upgrade-info.json"

// UpgradeNeededError is why a node halted at, or refuses to start at, an upgrade's height.
type UpgradeNeededError struct{ Plan upgrade.Plan }

func (e *UpgradeNeededError) Error() string {
	return fmt.Sprintf("UPGRADE %q NEEDED at height %d: %s (this binary has no handler for it: run the new release)", e.Plan.Name, e.Plan.Height, e.Plan.Info)
}

// pendingUpgrade is the plan this process opened its stores for.
type pendingUpgrade struct {
	plan    upgrade.Plan
	handler UpgradeHandler
}

// RunMigrations runs every module's consensus-version migrations from the
// versions in from (recorded in state); modules new to from get their default genesis.
func (a *App) RunMigrations(ctx context.Context, from runtime.VersionMap) (runtime.VersionMap, error) {
	return a.mm.RunMigrations(ctx, from)
}

// UpgradeHalt delivers the error of a halt at an upgrade height: the node's
// process stops CometBFT and exits with ExitCodeUpgradeNeeded.
func (a *App) UpgradeHalt() <-chan *UpgradeNeededError { return a.halt }

func (a *App) upgradeHandler(name string) (UpgradeHandler, bool) {
	for _, h := range a.upgrades {
		if h.Name == name {
			return h, true
		}
	}
	return UpgradeHandler{}, false
}

// upgradeAtOpen reads the scheduled plan from the committed state and decides
// whether this binary may open it, and with which store upgrades (nil: none).
func (a *App) upgradeAtOpen(db dbm.DB) (*store.Upgrades, error) {
	seen := map[string]bool{}
	for _, h := range a.upgrades {
		if h.Name == "" || seen[h.Name] {
			return nil, fmt.Errorf("upgrade handlers: empty or repeated name %q", h.Name)
		}
		seen[h.Name] = true
	}
	bz, latest, err := store.ReadCommitted(db, upgrade.ModuleName, upgrade.PlanKey())
	if err != nil || bz == nil {
		return nil, err
	}
	plan, err := upgrade.DecodePlan(bz)
	if err != nil {
		return nil, fmt.Errorf("stored upgrade plan: %w", err)
	}
	h, ok := a.upgradeHandler(plan.Name)
	next := latest + 1
	switch {
	case next == plan.Height && !ok:
		uerr := &UpgradeNeededError{Plan: plan}
		a.writeUpgradeInfo(plan)
		a.logger.Error(uerr.Error())
		return nil, uerr
	case next == plan.Height:
		a.pending = &pendingUpgrade{plan: plan, handler: h}
		a.logger.Info(fmt.Sprintf("opening state for upgrade %q at height %d", plan.Name, plan.Height), "store_upgrades", fmt.Sprintf("%+v", h.StoreUpgrades))
		return &h.StoreUpgrades, nil
	case next < plan.Height && ok:
		return nil, fmt.Errorf("BINARY UPDATED BEFORE TRIGGER: this binary carries the handler of upgrade %q, planned for height %d, but the state is at height %d: run the previous binary until the chain halts at %d",
			plan.Name, plan.Height, latest, plan.Height)
	case next > plan.Height:
		return nil, fmt.Errorf("stored upgrade plan %q for height %d was not applied, but the state is at height %d (corrupted state)", plan.Name, plan.Height, latest)
	}
	return nil, nil
}

// openState opens the multistore, applying up when the state is opened for an upgrade.
func openState(db dbm.DB, names []string, opts store.Options, up *store.Upgrades) (*store.MultiStore, error) {
	if up == nil {
		return store.Open(db, names, opts)
	}
	return store.OpenWithUpgrades(db, names, opts, *up)
}

// upgradeBeforeBlock runs at the start of FinalizeBlock: at a plan's height it
// applies the plan (when this process opened for it) or halts the node.
func (a *App) upgradeBeforeBlock(ctx *runtime.Context) error {
	plan, ok, err := a.UpgradeKeeper.CurrentPlan(ctx)
	if err != nil || !ok {
		return err
	}
	h := ctx.BlockHeight()
	switch {
	case plan.Height > h:
		if _, has := a.upgradeHandler(plan.Name); has {
			return fmt.Errorf("BINARY UPDATED BEFORE TRIGGER: this binary carries the handler of upgrade %q, planned for height %d, at height %d: run the previous binary until then", plan.Name, plan.Height, h)
		}
		return nil
	case plan.Height < h:
		return fmt.Errorf("upgrade %q for height %d was not applied before height %d", plan.Name, plan.Height, h)
	case a.pending == nil || a.pending.plan.Name != plan.Name:
		uerr := &UpgradeNeededError{Plan: plan}
		a.logger.Error(uerr.Error())
		a.writeUpgradeInfo(plan)
		select {
		case a.halt <- uerr:
		default:
		}
		return uerr
	}
	return a.applyUpgrade(ctx, plan, a.pending.handler)
}

func (a *App) applyUpgrade(ctx *runtime.Context, plan upgrade.Plan, h UpgradeHandler) error {
	from, err := a.UpgradeKeeper.GetModuleVersions(ctx)
	if err != nil {
		return err
	}
	migrate := h.Migrate
	if migrate == nil {
		migrate = func(ctx context.Context, a *App, _ upgrade.Plan, from runtime.VersionMap) (runtime.VersionMap, error) {
			return a.RunMigrations(ctx, from)
		}
	}
	to, err := migrate(ctx, a, plan, from)
	if err != nil {
		return fmt.Errorf("upgrade %q at height %d: %w", plan.Name, plan.Height, err)
	}
	if err := a.UpgradeKeeper.SetModuleVersions(ctx, a.mm.Names(), to); err != nil {
		return err
	}
	if err := a.UpgradeKeeper.MarkApplied(ctx, plan); err != nil {
		return err
	}
	a.pending = nil
	a.logger.Info(fmt.Sprintf("applied upgrade %q at height %d", plan.Name, plan.Height))
	return nil
}

// writeUpgradeInfo writes <data>/upgrade-info.json for Cosmovisor and scripts
// (best effort: the log line and the exit code say the same).
func (a *App) writeUpgradeInfo(plan upgrade.Plan) {
	if a.cfg.UpgradeInfoDir == "" {
		return
	}
	bz, _ := json.Marshal(struct {
		Name   string `json:"name"`
		Height int64  `json:"height"`
		Info   string `json:"info"`
	}{plan.Name, plan.Height, plan.Info})
	path := filepath.Join(a.cfg.UpgradeInfoDir, UpgradeInfoFile)
	if err := os.WriteFile(path, bz, 0o644); err != nil {
		a.logger.Error("could not write "+UpgradeInfoFile, "path", path, "err", err)
	}
}

// UpgradeNames are the plans this binary carries handlers for, in list order
// (`selfchaind version --long`; constellation upgrade picks the plan name from it).
func UpgradeNames() []string {
	out := []string{}
	for _, h := range upgradeList(&App{}) {
		out = append(out, h.Name)
	}
	return out
}
