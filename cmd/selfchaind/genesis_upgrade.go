package main

import (
	"fmt"

	"github.com/spf13/cobra"

	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/server"
)

func setUpgradeAuthorityCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "set-upgrade-authority <address-or-key-name>",
		Short: "Name the account that may plan software upgrades (app_state.upgrade.params.authority)",
		Long: `Without it no one can plan an upgrade (the default authority is the address of a
governance module that does not exist yet). See docs/OPERATIONS.md "Upgrades".`,
		Example: `  selfchaind genesis set-upgrade-authority faucet --keyring-backend test`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := clientcli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			path := server.GenesisPath(clientcli.HomeDir(cmd))
			if err := server.SetGenesisUpgradeAuthority(path, addr); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "upgrade authority is %s in %s\n", addr, path)
			return nil
		},
	}
}
