package main

import (
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

// txCmd is `selfchaind tx`: one subcommand per module of the list that has tx
// commands (runtime.HasTxCommand).
func txCmd(mods *runtime.Manager) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Build, sign and broadcast transactions",
	}
	clientcli.AddTxFlags(cmd)
	cmd.AddCommand(mods.TxCommands()...)
	return cmd
}
