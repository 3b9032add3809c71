package main

import (
	"encoding/base64"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/permissions"
	"github.com/selfchain/selfchain/x/permissions/verify"
)

// queryCmd is `selfchaind query`: one subcommand per module of the list that has
// query commands (runtime.HasQueryCommand), plus `query tx <hash>` and the commands
// import cycles keep out of their module (ARCHITECTURE.md, "CLI code").
func queryCmd(mods *runtime.Manager) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"q"},
		Short:   "Query chain state over the node's RPC (--node)",
	}
	cmd.AddCommand(mods.QueryCommands()...)
	cmd.AddCommand(txQueryCmd())
	addOutsideModules(cmd)
	return cmd
}

// addOutsideModules adds the query commands that live outside their module's
// package: `auth account` (client imports x/auth, so x/auth cannot import
// client/cli) and `permissions check` (x/permissions/verify imports x/permissions).
func addOutsideModules(query *cobra.Command) {
	authCmd := &cobra.Command{Use: auth.ModuleName, Short: "Query accounts"}
	authCmd.AddCommand(authAccountCmd())
	query.AddCommand(authCmd)
	for _, c := range query.Commands() {
		if c.Name() == permissions.ModuleName {
			c.AddCommand(verify.GetCheckCmd())
		}
	}
}

func authAccountCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "account <address-or-key>",
		Short: "Query an account's number, sequence and public key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := clientcli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			var resp auth.QueryAccountResponse
			err = clientcli.QueryOnce(cmd, client.PathAuthAccount, &auth.QueryAccountRequest{Address: addr.String()}, &resp)
			if client.IsNotFound(err) {
				return fmt.Errorf("account %s not found on chain: it must receive funds first", addr)
			}
			if err != nil {
				return err
			}
			a := resp.Account
			return clientcli.PrintResult(cmd, &resp, func(w io.Writer) {
				pub := "(none yet: set by the account's first tx)"
				if a.PublicKey != nil {
					pub = a.PublicKey.Type + ":" + base64.StdEncoding.EncodeToString(a.PublicKey.Key)
				}
				clientcli.KV(w, "address", a.Address, "account_number", a.AccountNumber, "sequence", a.Sequence, "public_key", pub)
			})
		},
	}
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
