package main

import (
	"fmt"

	"github.com/spf13/cobra"

	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/server"
)

func cometCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "comet",
		Aliases: []string{"cometbft", "tendermint"},
		Short:   "CometBFT helpers: node id, validator key and address of this home",
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "show-node-id",
			Short: "Print this home's p2p node id (peers dial <node-id>@host:port)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				id, err := server.NodeID(clientcli.HomeDir(cmd))
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), id)
				return nil
			},
		},
		showValidatorCmd(),
		&cobra.Command{
			Use:   "show-address",
			Short: "Print this home's validator (consensus) address, hex",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				pub, err := server.ShowValidator(clientcli.HomeDir(cmd))
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), pub.Address().String())
				return nil
			},
		},
	)
	return cmd
}
