package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

// queryCmd is `selfchaind query`: one subcommand per module of the list that has
// query commands (runtime.HasQueryCommand), plus `query tx <hash>`.
func queryCmd(mods *runtime.Manager) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"q"},
		Short:   "Query chain state over the node's RPC (--node)",
	}
	cmd.AddCommand(mods.QueryCommands()...)
	cmd.AddCommand(txQueryCmd())
	return cmd
}

func txQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "tx <hash>",
		Short: "Query an included tx by hash: height, code, log, gas and events",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := clientcli.NewClient(cmd)
			if err != nil {
				return err
			}
			res, err := c.GetTx(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return clientcli.PrintResult(cmd, res, func(w io.Writer) {
				clientcli.PrintTxResult(w, res)
				if len(res.Events) > 0 {
					fmt.Fprintln(w, "events:")
					for _, e := range res.Events {
						fmt.Fprintf(w, "  %s\n", e.Type)
						for _, a := range e.Attributes {
							fmt.Fprintf(w, "    %s: %s\n", a.Key, a.Value)
						}
					}
				}
			})
		},
	}
}
