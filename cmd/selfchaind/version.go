package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app"
	appruntime "github.com/selfchain/selfchain/app/runtime"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

// Commit is the source revision, set at build time with -ldflags "-X main.Commit=...".
var Commit = ""

// moduleVersion is one module's consensus version (bumped, with a migration,
// whenever the module's stored bytes change).
type moduleVersion struct {
	Name             string `json:"name"`
	ConsensusVersion uint64 `json:"consensus_version"`
}

func versionCmd(mods *appruntime.Manager) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of selfchaind and what it was built with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := struct {
				Name       string          `json:"name"`
				Version    string          `json:"version"`
				Commit     string          `json:"commit,omitempty"`
				AppVersion uint64          `json:"app_protocol_version"`
				CometBFT   string          `json:"cometbft"`
				Go         string          `json:"go"`
				Modules    []moduleVersion `json:"modules"`
				// UpgradeHandlers are the upgrade plans this binary can apply.
				UpgradeHandlers []string `json:"upgrade_handlers"`
			}{"selfchaind", app.Version, commit(), app.AppVersion, app.CometBFTVersion, runtime.Version(), nil, app.UpgradeNames()}
			var modules []string
			for _, m := range mods.Modules() { // module order: the app's execution order
				out.Modules = append(out.Modules, moduleVersion{m.Name(), m.ConsensusVersion()})
				modules = append(modules, fmt.Sprintf("%s %d", m.Name(), m.ConsensusVersion()))
			}
			long := clientcli.Settings(cmd).GetBool("long")
			return clientcli.PrintResult(cmd, out, func(w io.Writer) {
				if !long {
					fmt.Fprintln(w, out.Version)
					return
				}
				clientcli.KV(w, "version", out.Version, "commit", out.Commit, "app_protocol", out.AppVersion, "cometbft", out.CometBFT, "go", out.Go,
					"modules", strings.Join(modules, ", "), "upgrade_handlers", strings.Join(out.UpgradeHandlers, ", "))
			})
		},
	}
	cmd.Flags().Bool("long", false, "also print commit, protocol, CometBFT and Go versions, each module's consensus version and the upgrade handlers")
	return cmd
}

// commit is -X main.Commit, else the VCS revision Go stamped into the binary.
func commit() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
