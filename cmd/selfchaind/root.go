package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/selfchain/selfchain/app"
	backupcmd "github.com/selfchain/selfchain/backup"
	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/poai"
)

// Log flag names (persistent on the root command; the others are client/cli's).
const (
	flagLogLevel  = "log-level"
	flagLogFormat = "log-format"
)

// appInfo is what the module commands (x/<module>/cli*.go) need from this binary,
// whose package app they cannot import; the root's pre-run puts it in every
// command's context.
func appInfo() clientcli.AppInfo {
	return clientcli.AppInfo{Version: app.Version, Accounts: auth.AccountRetriever{}, ChainDenom: poai.QueryBondDenom}
}

// DefaultHome is $HOME/.selfchain, as gaiad uses $HOME/.gaia.
func DefaultHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".selfchain")
	}
	return ".selfchain"
}

// NewRootCmd builds the whole command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "selfchaind",
		Short: "SELF Chain node daemon and CLI",
		Long: `selfchaind runs a SELF Chain node and talks to one.

Every flag can also be set as SELFCHAIN_<FLAG> in the environment (dashes and
dots become underscores: --chain-id is SELFCHAIN_CHAIN_ID) or in
<home>/config/client.toml. A flag wins over the environment, which wins over
client.toml.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			v, err := clientcli.LoadSettings(cmd)
			if err != nil {
				return err
			}
			cmd.SetContext(clientcli.WithApp(clientcli.WithSettings(cmd.Context(), v), appInfo()))
			return applyBech32Prefix(v)
		},
	}
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.String(clientcli.FlagHome, DefaultHome(), "node and client home directory")
	pf.String(clientcli.FlagNode, client.DefaultNode, "CometBFT RPC endpoint of the node to talk to")
	pf.String(clientcli.FlagChainID, "", "chain id (default: client.toml, else asked from the node)")
	pf.StringP(clientcli.FlagOutput, "o", "text", "output format: text or json")
	pf.String(clientcli.FlagKeyringBackend, "file", "keyring backend: file (encrypted), test (unencrypted, dev only) or memory")
	pf.String(flagLogLevel, "", "log level, e.g. info or consensus:debug,*:error (default: config.toml log_level)")
	pf.String(flagLogFormat, "", "log format: plain or json (default: config.toml log_format)")

	mods := app.Modules() // the module list: the tx and query trees and `version --long` follow it
	root.AddCommand(
		initCmd(),
		startCmd(),
		exportCmd(),
		rollbackCmd(),
		genesisCmd(),
		keysCmd(),
		txCmd(mods),
		queryCmd(mods),
		statusCmd(),
		cometCmd(),
		configCmd(),
		versionCmd(mods),
		snapshotsCmd(),
		backupcmd.Command(),
	)
	return root
}

// applyBech32Prefix sets the process's address prefix from the home before any
// address is parsed: client.toml's bech32-prefix (or SELFCHAIN_BECH32_PREFIX),
// else app.toml's, else the default "self". A chain made by constellation with
// another prefix records it in both files of every home.
func applyBech32Prefix(v *viper.Viper) error {
	prefix := v.GetString("bech32-prefix")
	if prefix == "" {
		p, err := app.ReadBech32Prefix(v.GetString(clientcli.FlagHome))
		if err != nil {
			return err
		}
		prefix = p
	}
	if prefix == "" {
		prefix = crypto.Bech32Prefix
	}
	return crypto.SetBech32Prefix(prefix)
}

var negativeArgRe = regexp.MustCompile(`unknown shorthand flag: '[0-9.]' in (-[0-9][^ ]*)$`)

// flagError explains the one flag error that is really an argument error: a
// negative amount such as -5uself looks like a shorthand flag to the parser.
func flagError(cmd *cobra.Command, err error) error {
	if m := negativeArgRe.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("invalid amount %q: negative amounts are not allowed", m[1])
	}
	return fmt.Errorf("%w\nsee '%s --help'", err, cmd.CommandPath())
}
