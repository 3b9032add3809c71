package main

import (
	"github.com/spf13/cobra"

	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/permissions"
	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/registry"
)

func txCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Build, sign and broadcast transactions",
	}
	clientcli.AddTxFlags(cmd)
	cmd.AddCommand(bank.GetTxCmd(), poai.GetTxCmd(), permissions.GetTxCmd(), registry.GetTxCmd())
	return cmd
}
