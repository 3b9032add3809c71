package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
)

// extraModule stands for a module added to the app's list.
type extraModule struct{}

func (extraModule) Name() string                { return "extra" }
func (extraModule) ConsensusVersion() uint64    { return 3 }
func (extraModule) GetTxCmd() *cobra.Command    { return &cobra.Command{Use: "extra"} }
func (extraModule) GetQueryCmd() *cobra.Command { return &cobra.Command{Use: "extra"} }

// The tx and query trees are the module list's commands: every module that has
// them appears under its name, a module added to the list appears with nothing
// else to edit, and the commands outside modules stay where they were.
func TestTxAndQueryTreesFollowTheModuleList(t *testing.T) {
	root := NewRootCmd()
	found := func(path ...string) bool {
		c, rest, err := root.Find(path)
		return err == nil && len(rest) == 0 && c.Name() == path[len(path)-1]
	}
	mods := app.Modules()
	var txs, queries int
	for _, m := range mods.Modules() {
		if _, ok := m.(runtime.HasTxCommand); ok {
			txs++
			require.True(t, found("tx", m.Name()), "tx %s", m.Name())
		}
		if _, ok := m.(runtime.HasQueryCommand); ok {
			queries++
			require.True(t, found("query", m.Name()), "query %s", m.Name())
		}
	}
	require.GreaterOrEqual(t, txs, 4, "bank, permissions, registry and poai have tx commands")
	require.GreaterOrEqual(t, queries, 4, "bank, permissions, registry and poai have query commands")
	for _, path := range [][]string{{"query", "tx"}, {"query", "auth", "account"}, {"query", "permissions", "check"}, {"query", "bank", "balances"}} {
		require.True(t, found(path...), strings.Join(path, " "))
	}

	withExtra := runtime.NewManager(append(mods.Modules(), extraModule{})...)
	has := func(cmd *cobra.Command, name string) bool {
		for _, c := range cmd.Commands() {
			if c.Name() == name {
				return true
			}
		}
		return false
	}
	require.True(t, has(txCmd(withExtra), "extra"))
	require.True(t, has(queryCmd(withExtra), "extra"))
	require.False(t, has(txCmd(mods), "extra"))
}

func runRoot(t *testing.T, args ...string) string {
	t.Helper()
	root := NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs(append(args, "--home", t.TempDir()))
	require.NoError(t, root.Execute())
	return out.String()
}

// `version --long` reports every module's consensus version, in text and JSON,
// beside the fields it had.
func TestVersionLongReportsModuleConsensusVersions(t *testing.T) {
	require.Equal(t, app.Version+"\n", runRoot(t, "version"))

	text := runRoot(t, "version", "--long")
	for _, key := range []string{"version:", "commit:", "app_protocol:", "cometbft:", "go:", "modules:"} {
		require.Contains(t, "\n"+text, "\n"+key)
	}
	var want []string
	for _, m := range app.Modules().Modules() {
		want = append(want, fmt.Sprintf("%s %d", m.Name(), m.ConsensusVersion()))
	}
	require.Contains(t, text, strings.Join(want, ", ")+"\n")

	var out struct {
		Version  string `json:"version"`
		CometBFT string `json:"cometbft"`
		Go       string `json:"go"`
		Modules  []struct {
			Name             string `json:"name"`
			ConsensusVersion uint64 `json:"consensus_version"`
		} `json:"modules"`
	}
	require.NoError(t, json.Unmarshal([]byte(runRoot(t, "version", "--long", "--output", "json")), &out))
	require.Equal(t, app.Version, out.Version)
	require.Equal(t, app.CometBFTVersion, out.CometBFT)
	require.NotEmpty(t, out.Go)
	require.Len(t, out.Modules, len(app.Modules().Modules()))
	for i, m := range app.Modules().Modules() {
		require.Equal(t, m.Name(), out.Modules[i].Name)
		require.Equal(t, m.ConsensusVersion(), out.Modules[i].ConsensusVersion)
	}
}
