package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
)

// EnvPrefix is the prefix of environment variables standing in for flags:
// --chain-id is SELFCHAIN_CHAIN_ID, --rpc.laddr is SELFCHAIN_RPC_LADDR.
const EnvPrefix = "SELFCHAIN"

// Global flag names (persistent on the root command).
const (
	flagHome           = "home"
	flagNode           = "node"
	flagChainID        = "chain-id"
	flagOutput         = "output"
	flagKeyringBackend = "keyring-backend"
	flagLogLevel       = "log-level"
	flagLogFormat      = "log-format"
)

type viperKey struct{}

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
			v, err := loadViper(cmd)
			if err != nil {
				return err
			}
			cmd.SetContext(context.WithValue(cmd.Context(), viperKey{}, v))
			return applyBech32Prefix(v)
		},
	}
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.String(flagHome, DefaultHome(), "node and client home directory")
	pf.String(flagNode, client.DefaultNode, "CometBFT RPC endpoint of the node to talk to")
	pf.String(flagChainID, "", "chain id (default: client.toml, else asked from the node)")
	pf.StringP(flagOutput, "o", "text", "output format: text or json")
	pf.String(flagKeyringBackend, "file", "keyring backend: file (encrypted), test (unencrypted, dev only) or memory")
	pf.String(flagLogLevel, "", "log level, e.g. info or consensus:debug,*:error (default: config.toml log_level)")
	pf.String(flagLogFormat, "", "log format: plain or json (default: config.toml log_format)")

	root.AddCommand(
		initCmd(),
		startCmd(),
		genesisCmd(),
		keysCmd(),
		txCmd(),
		queryCmd(),
		statusCmd(),
		cometCmd(),
		configCmd(),
		versionCmd(),
	)
	return root
}

// loadViper layers a command's settings: flag > SELFCHAIN_<FLAG> > client.toml > flag default.
func loadViper(cmd *cobra.Command) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return nil, err
	}
	home := v.GetString(flagHome)
	if home == "" {
		return nil, errors.New("--home must not be empty")
	}
	path := client.ConfigPath(home)
	if _, err := os.Stat(path); err == nil {
		// Validate with the typed loader first: it names unknown keys and bad values.
		if _, err := client.LoadConfig(home); err != nil {
			return nil, err
		}
		v.SetConfigFile(path)
		v.SetConfigType("toml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	switch o := v.GetString(flagOutput); o {
	case "text", "json":
	default:
		return nil, fmt.Errorf("invalid --output %q: want text or json", o)
	}
	return v, nil
}

// applyBech32Prefix sets the process's address prefix from the home before any
// address is parsed: client.toml's bech32-prefix (or SELFCHAIN_BECH32_PREFIX),
// else app.toml's, else the default "self". A chain made by constellation with
// another prefix records it in both files of every home.
func applyBech32Prefix(v *viper.Viper) error {
	prefix := v.GetString("bech32-prefix")
	if prefix == "" {
		p, err := app.ReadBech32Prefix(v.GetString(flagHome))
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

// settings returns the layered settings loadViper put in the command's context.
func settings(cmd *cobra.Command) *viper.Viper {
	if v, ok := cmd.Context().Value(viperKey{}).(*viper.Viper); ok {
		return v
	}
	v, err := loadViper(cmd)
	if err != nil { // only reached when a command runs without the root's pre-run (tests)
		panic(err)
	}
	return v
}

func homeDir(cmd *cobra.Command) string { return settings(cmd).GetString(flagHome) }

func newClient(cmd *cobra.Command) (*client.Client, error) {
	return client.New(settings(cmd).GetString(flagNode))
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
