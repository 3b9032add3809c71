package main

import (
	"encoding/base64"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/permissions"
	"github.com/selfchain/selfchain/x/permissions/verify"
	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/registry"
)

func queryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"q"},
		Short:   "Query chain state over the node's RPC (--node)",
	}
	cmd.AddCommand(bank.GetQueryCmd(), authQueryCmd(), txQueryCmd(), poai.GetQueryCmd(), permissionsQueryCmd(), registry.GetQueryCmd())
	return cmd
}

func authQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "Query accounts"}
	cmd.AddCommand(&cobra.Command{
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
	})
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

// permissionsQueryCmd is x/permissions' queries plus `check`, which lives in
// x/permissions/verify: verify imports x/permissions, so x/permissions cannot hold it.
func permissionsQueryCmd() *cobra.Command {
	cmd := permissions.GetQueryCmd()
	cmd.AddCommand(verify.GetCheckCmd())
	return cmd
}
