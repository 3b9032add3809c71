package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/upgrade"
)

// TestUpgradeFourValidators runs a software upgrade through the built binaries:
// four validators on v1, a plan for "v2", all four halt at its height with exit
// code 3 and upgrade-info.json, v1 refuses to start again, and the v2 build
// (-tags upgrade_v2_test: adds the store v2test and rewrites bank's denom
// description) continues the chain with equal app hashes and balances intact.
func TestUpgradeFourValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries and runs four nodes")
	}
	start := time.Now()
	v2, err := network.BinaryWithTags("upgrade_v2_test")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("v2 binary built in %s", time.Since(start).Round(time.Millisecond))
	var authority string
	net := network.New(t, network.Config{ModifyGenesis: func(state map[string]json.RawMessage, _ []network.ValidatorInfo) error {
		gs := upgrade.DefaultGenesis()
		gs.Params.Authority = authority
		raw, err := runtime.MarshalGenesis(&gs)
		state[upgrade.ModuleName] = raw
		return err
	}, Accounts: upgradeAccounts(&authority)})
	if err := net.WaitForHeight(2, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	accs := net.Accounts
	mustTx(t, net, testutil.Send(accs[1], accs[2].Addr, 1234, testutil.TxOpts{}))

	// Bad plans are refused with their codes; a good one is scheduled.
	h, err := net.Height(0)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := net.BroadcastTx(0, testutil.SignTx(accs[1], testutil.TxOpts{}, &upgrade.MsgSoftwareUpgrade{Authority: accs[1].Addr.String(), Plan: upgrade.Plan{Name: "v2", Height: h + 50}}), true); err != nil || res.Code != upgrade.ErrNotAuthority.Code() {
		t.Fatalf("plan by a non-authority: %+v, %v", res, err)
	}
	haltAt := h + 10
	info := `{"binaries":{"linux/amd64":"file:///v2"}}`
	mustTx(t, net, testutil.SignTx(accs[0], testutil.TxOpts{}, &upgrade.MsgSoftwareUpgrade{Authority: accs[0].Addr.String(), Plan: upgrade.Plan{Name: "v2", Height: haltAt, Info: info}}))

	// Every node halts at the plan height with exit code 3 and upgrade-info.json.
	for i, n := range net.Nodes {
		code, err := net.WaitExit(i, 60*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if code != app.ExitCodeUpgradeNeeded {
			t.Fatalf("%s exited with %d, want %d:\n%s", n.Moniker, code, app.ExitCodeUpgradeNeeded, net.LogTail(i, 20))
		}
		bz, err := os.ReadFile(filepath.Join(n.Home, "data", app.UpgradeInfoFile))
		if err != nil {
			t.Fatal(err)
		}
		var ui struct {
			Name   string `json:"name"`
			Height int64  `json:"height"`
			Info   string `json:"info"`
		}
		if err := json.Unmarshal(bz, &ui); err != nil || ui.Name != "v2" || ui.Height != haltAt || ui.Info != info {
			t.Fatalf("%s: upgrade-info.json %s (%v)", n.Moniker, bz, err)
		}
		if line := fmt.Sprintf(`UPGRADE \"v2\" NEEDED at height %d`, haltAt); !strings.Contains(net.LogTail(i, 200), line) &&
			!strings.Contains(net.LogTail(i, 200), strings.ReplaceAll(line, `\"`, `"`)) {
			t.Fatalf("%s's log does not say %s:\n%s", n.Moniker, line, net.LogTail(i, 30))
		}
	}

	// v1 again, after the plan height: refuses to start and says why.
	if err := net.Start(0); err != nil {
		t.Fatal(err)
	}
	if code, err := net.WaitExit(0, 30*time.Second); err != nil || code != app.ExitCodeUpgradeNeeded {
		t.Fatalf("v1 restarted at the plan height: exit %d, %v", code, err)
	}
	if tail := net.LogTail(0, 10); !strings.Contains(tail, `NEEDED at height`) || !strings.Contains(tail, "no handler") {
		t.Fatalf("v1's refusal does not say why:\n%s", tail)
	}

	// v2 on all four: the chain continues from the plan height.
	net.Bin = v2
	for i := range net.Nodes {
		if err := net.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := net.WaitForHeight(haltAt+2, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := range net.Nodes {
		hash, err := net.AppHash(i, haltAt+1)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = hash
		} else if !bytes.Equal(want, hash) {
			t.Fatalf("app hash at %d: %s has %X, node0 %X", haltAt+1, net.Nodes[i].Moniker, hash, want)
		}
	}
	ctx := context.Background()
	c := net.Nodes[3].Client
	bal, err := bank.NewQueryClient(c).Balance(ctx, &bank.QueryBalanceRequest{Address: accs[2].Addr.String(), Denom: testutil.Denom})
	if err != nil || bal.Balance.Amount.Uint64() != network.DefaultAccountBalance+1234 {
		t.Fatalf("balance after the upgrade: %v, %v", bal, err)
	}
	applied, err := upgrade.NewQueryClient(c).AppliedPlan(ctx, &upgrade.QueryAppliedPlanRequest{Name: "v2"})
	if err != nil || applied.Height != haltAt {
		t.Fatalf("applied v2: %v, %v", applied, err)
	}
	vs, err := upgrade.NewQueryClient(c).ModuleVersions(ctx, &upgrade.QueryModuleVersionsRequest{ModuleName: "v2test"})
	if err != nil || len(vs.ModuleVersions) != 1 || vs.ModuleVersions[0].Version != 1 {
		t.Fatalf("v2test's version: %v, %v", vs, err)
	}
	md, err := bank.NewQueryClient(c).DenomMetadata(ctx, &bank.QueryDenomMetadataRequest{Denom: testutil.Denom})
	if err != nil || !strings.HasSuffix(md.Metadata.Description, " (migrated by v2)") {
		t.Fatalf("denom metadata after v2's migration: %v, %v", md, err)
	}
	// Txs go on after the upgrade.
	mustTx(t, net, testutil.Send(accs[2], accs[1].Addr, 34, testutil.TxOpts{}))
	t.Logf("upgrade test took %s", time.Since(start).Round(time.Millisecond))
}

// upgradeAccounts are the network's funded accounts; the first is the upgrade authority.
func upgradeAccounts(authority *string) []*testutil.Account {
	var accs []*testutil.Account
	for i := range network.DefaultNumAccounts {
		accs = append(accs, testutil.NewAccount(i))
	}
	*authority = accs[0].Addr.String()
	return accs
}

func mustTx(t *testing.T, net *network.Network, tx []byte) {
	t.Helper()
	res, err := net.BroadcastTx(0, tx, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("tx refused: code %d %s: %s", res.Code, res.Codespace, res.Log)
	}
}
