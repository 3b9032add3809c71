package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/constellation"
)

const (
	flagHome   = "home"
	flagOutput = "output"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "constellation",
		Short: "Scaffold, run and watch corporate Layer-1 chains built from SELF Chain",
		Long: `constellation creates a chain (validators, keys, a genesis every validator
signed, the chain's own token) with one command, runs its validators in the
background under a supervisor that restarts crashed nodes, and tells you whether
the chain is healthy.

Chains live under --home (default ~/.constellation, or $CONSTELLATION_HOME),
one folder per chain.`,
		Example: `  constellation new acme --validators 4 --denom uacme --token-name ACME --supply 1000000000 \
      --account alice=1000000 --account bob=500 --consensus-key ml_dsa_65 --poai-mode authority
  constellation up acme
  constellation status acme --watch
  constellation logs acme node2 --follow
  constellation down acme`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	home := os.Getenv("CONSTELLATION_HOME")
	if home == "" {
		home = constellation.DefaultHome()
	}
	root.PersistentFlags().String(flagHome, home, "constellation home: one folder per chain (env CONSTELLATION_HOME)")
	root.AddCommand(newCmd(), applyCmd(), listCmd(), rmCmd(), upCmd(), downCmd(), statusCmd(), logsCmd(), paramsCmd(), upgradeCmd(), superviseCmd(),
		bridgeCmd(), relayCmd(), superviseRelayCmd(), dashboardCmd())
	return root
}

func homeFlag(cmd *cobra.Command) (string, error) {
	h, _ := cmd.Flags().GetString(flagHome)
	if strings.TrimSpace(h) == "" {
		return "", errors.New("--home must not be empty")
	}
	// Absolute, so the supervisor's pid files and node command lines name the
	// same paths whatever directory a later command runs from.
	return filepath.Abs(h)
}

func openChain(cmd *cobra.Command, name string) (*constellation.Chain, error) {
	home, err := homeFlag(cmd)
	if err != nil {
		return nil, err
	}
	return constellation.Open(home, name)
}

func addOutputFlag(cmd *cobra.Command) {
	cmd.Flags().StringP(flagOutput, "o", "text", "output format: text or json")
}

func outputJSON(cmd *cobra.Command) (bool, error) {
	o, _ := cmd.Flags().GetString(flagOutput)
	switch o {
	case "text":
		return false, nil
	case "json":
		return true, nil
	}
	return false, fmt.Errorf("invalid --output %q: want text or json", o)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
