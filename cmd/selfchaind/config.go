package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

// clientConfigFields maps client.toml keys to their fields, for `config get/set`.
var clientConfigFields = map[string]func(*client.Config) any{
	"chain-id":          func(c *client.Config) any { return &c.ChainID },
	"keyring-backend":   func(c *client.Config) any { return &c.KeyringBackend },
	"node":              func(c *client.Config) any { return &c.Node },
	"output":            func(c *client.Config) any { return &c.Output },
	"gas":               func(c *client.Config) any { return &c.Gas },
	"gas-prices":        func(c *client.Config) any { return &c.GasPrices },
	"gas-adjustment":    func(c *client.Config) any { return &c.GasAdjustment },
	"wait":              func(c *client.Config) any { return &c.Wait },
	"broadcast-timeout": func(c *client.Config) any { return &c.BroadcastTimeout },
}

func configKeys() []string {
	keys := make([]string, 0, len(clientConfigFields))
	for k := range clientConfigFields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func configCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "config [key [value]]",
		Short: "Show or set client.toml settings (defaults of the CLI flags)",
		Example: `  selfchaind config
  selfchaind config chain-id
  selfchaind config keyring-backend test`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			home := clientcli.HomeDir(cmd)
			c, err := client.LoadConfig(home)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				// JSON names each setting by its client.toml key (chain-id, not chain_id).
				byKey := map[string]any{}
				for _, k := range configKeys() {
					byKey[k] = deref(clientConfigFields[k](&c))
				}
				return clientcli.PrintResult(cmd, byKey, func(w io.Writer) {
					for _, k := range configKeys() {
						fmt.Fprintf(w, "%s = %v\n", k, deref(clientConfigFields[k](&c)))
					}
				})
			}
			field, ok := clientConfigFields[args[0]]
			if !ok {
				return fmt.Errorf("unknown client.toml key %q: want one of %v", args[0], configKeys())
			}
			if len(args) == 1 {
				fmt.Fprintln(cmd.OutOrStdout(), deref(field(&c)))
				return nil
			}
			switch p := field(&c).(type) {
			case *string:
				*p = args[1]
			case *bool:
				if *p, err = strconv.ParseBool(args[1]); err != nil {
					return fmt.Errorf("%s: want true or false", args[0])
				}
			case *float64:
				if *p, err = strconv.ParseFloat(args[1], 64); err != nil {
					return fmt.Errorf("%s: want a number", args[0])
				}
			}
			if err := client.SaveConfig(home, c); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s = %s in %s\n", args[0], args[1], client.ConfigPath(home))
			return nil
		},
	}
}

func deref(p any) any {
	switch v := p.(type) {
	case *string:
		return *v
	case *bool:
		return *v
	case *float64:
		return *v
	}
	return p
}
