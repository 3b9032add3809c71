package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto/keyring"
)

// EnvPrefix is the prefix of environment variables standing in for flags:
// --chain-id is SELFCHAIN_CHAIN_ID, --rpc.laddr is SELFCHAIN_RPC_LADDR.
const EnvPrefix = "SELFCHAIN"

// Global flag names (persistent on the root command).
const (
	FlagHome           = "home"
	FlagNode           = "node"
	FlagChainID        = "chain-id"
	FlagOutput         = "output"
	FlagKeyringBackend = "keyring-backend"
)

type settingsKey struct{}

// LoadSettings layers a command's settings: flag > SELFCHAIN_<FLAG> > client.toml > flag default.
func LoadSettings(cmd *cobra.Command) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return nil, err
	}
	home := v.GetString(FlagHome)
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
	switch o := v.GetString(FlagOutput); o {
	case "text", "json":
	default:
		return nil, fmt.Errorf("invalid --output %q: want text or json", o)
	}
	return v, nil
}

// WithSettings is ctx carrying v, for the root command's pre-run to hand its
// layered settings to whichever command runs.
func WithSettings(ctx context.Context, v *viper.Viper) context.Context {
	return context.WithValue(ctx, settingsKey{}, v)
}

// settingsFrom is the layered settings in cmd's context, if the root's pre-run put them there.
func settingsFrom(cmd *cobra.Command) (*viper.Viper, bool) {
	v, ok := cmd.Context().Value(settingsKey{}).(*viper.Viper)
	return v, ok
}

// Settings returns the layered settings the root's pre-run put in the command's context.
func Settings(cmd *cobra.Command) *viper.Viper {
	if v, ok := settingsFrom(cmd); ok {
		return v
	}
	v, err := LoadSettings(cmd)
	if err != nil { // only reached when a command runs without the root's pre-run (tests)
		panic(err)
	}
	return v
}

// HomeDir is --home.
func HomeDir(cmd *cobra.Command) string { return Settings(cmd).GetString(FlagHome) }

// NewClient is an RPC client of --node.
func NewClient(cmd *cobra.Command) (*client.Client, error) {
	return client.New(Settings(cmd).GetString(FlagNode))
}

// ResolveChainID is the chain id a tx is signed for: --chain-id, else the one
// the node (--node) reports, as the tx factory resolves it.
func ResolveChainID(cmd *cobra.Command) (string, error) {
	if id := Settings(cmd).GetString(FlagChainID); id != "" {
		return id, nil
	}
	c, err := NewClient(cmd)
	if err != nil {
		return "", err
	}
	return c.ChainID(cmd.Context())
}

// OpenKeyring opens the keyring of --keyring-backend under --home.
func OpenKeyring(cmd *cobra.Command) (keyring.Keyring, error) {
	v := Settings(cmd)
	return keyring.New(v.GetString(FlagKeyringBackend), v.GetString(FlagHome), Passphrase)
}
