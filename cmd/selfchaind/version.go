package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

// Commit is the source revision, set at build time with -ldflags "-X main.Commit=...".
var Commit = ""

func versionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of selfchaind and what it was built with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := struct {
				Name       string `json:"name"`
				Version    string `json:"version"`
				Commit     string `json:"commit,omitempty"`
				AppVersion uint64 `json:"app_protocol_version"`
				CometBFT   string `json:"cometbft"`
				Go         string `json:"go"`
			}{"selfchaind", app.Version, commit(), app.AppVersion, app.CometBFTVersion, runtime.Version()}
			long := clientcli.Settings(cmd).GetBool("long")
			return clientcli.PrintResult(cmd, out, func(w io.Writer) {
				if !long {
					fmt.Fprintln(w, out.Version)
					return
				}
				clientcli.KV(w, "version", out.Version, "commit", out.Commit, "app_protocol", out.AppVersion, "cometbft", out.CometBFT, "go", out.Go)
			})
		},
	}
	cmd.Flags().Bool("long", false, "also print commit, protocol, CometBFT and Go versions")
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
