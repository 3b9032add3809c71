//go:build upgrade_v2_test

package app

import (
	"context"
	"encoding/json"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/upgrade"
)

// A "v2" release of this binary, built only with -tags upgrade_v2_test for the
// process-level upgrade test (cmd/selfchaind/e2e_upgrade_test.go): it adds a
// module store (v2test) and carries the handler "v2", which also rewrites stored
// bytes of an existing module (every bank denom's description).
func init() {
	moduleList = func(a *App) []runtime.Module { return append(modules(a), v2TestModule{}) }
	upgradeList = func(a *App) []UpgradeHandler {
		return append(upgradeHandlers(a), UpgradeHandler{
			Name:          "v2",
			StoreUpgrades: store.Upgrades{Added: []string{V2TestModuleName}},
			Migrate: func(ctx context.Context, a *App, _ upgrade.Plan, from runtime.VersionMap) (runtime.VersionMap, error) {
				var mds []bank.Metadata
				err := a.BankKeeper.DenomMetadata.Walk(ctx, nil, func(_ string, md bank.Metadata) (bool, error) {
					mds = append(mds, md)
					return false, nil
				})
				if err != nil {
					return nil, err
				}
				for _, md := range mds {
					md.Description += V2DescriptionSuffix
					if err := a.BankKeeper.DenomMetadata.Set(ctx, md.Base, md); err != nil {
						return nil, err
					}
				}
				return a.RunMigrations(ctx, from)
			},
		})
	}
}

// V2TestModuleName is the store the v2 test release adds; V2DescriptionSuffix
// is what its handler appends to the native denom's description.
const (
	V2TestModuleName    = "v2test"
	V2DescriptionSuffix = " (migrated by v2)"
)

var v2TestStore = runtime.NewKVStoreService(V2TestModuleName)

type v2TestModule struct{}

func (v2TestModule) Name() string                          { return V2TestModuleName }
func (v2TestModule) ConsensusVersion() uint64              { return 1 }
func (v2TestModule) DefaultGenesis() json.RawMessage       { return json.RawMessage(`{}`) }
func (v2TestModule) ValidateGenesis(json.RawMessage) error { return nil }
func (v2TestModule) ExportGenesis(context.Context) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}
func (v2TestModule) InitGenesis(ctx context.Context, _ json.RawMessage) error {
	return v2TestStore.OpenKVStore(ctx).Set([]byte("born"), []byte("v2"))
}
