package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/auth"
)

func queryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"q"},
		Short:   "Query chain state over the node's RPC (--node)",
	}
	cmd.AddCommand(bankQueryCmd(), authQueryCmd(), txQueryCmd(), poaiQueryCmd(), permissionsQueryCmd(), registryQueryCmd())
	return cmd
}

// resolveAddress accepts a bech32 address, or the name of a key in the keyring.
func resolveAddress(cmd *cobra.Command, s string) (crypto.Address, error) {
	addr, err := crypto.AddressFromBech32(s)
	if err == nil {
		return addr, nil
	}
	// Something shaped like an address is reported as one; only a plain name is looked up.
	if strings.HasPrefix(strings.ToLower(s), crypto.GetBech32Prefix()+"1") {
		return nil, err
	}
	if kr, kerr := openKeyring(cmd); kerr == nil {
		if rec, kerr := kr.Get(s); kerr == nil {
			return rec.Address, nil
		}
	}
	return nil, fmt.Errorf("%w (and no key named %q in the %q keyring)", err, s, settings(cmd).GetString(flagKeyringBackend))
}

func authQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "Query accounts"}
	cmd.AddCommand(&cobra.Command{
		Use:   "account <address-or-key>",
		Short: "Query an account's number, sequence and public key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			var resp auth.QueryAccountResponse
			err = queryOnce(cmd, client.PathAuthAccount, &auth.QueryAccountRequest{Address: addr.String()}, &resp)
			if client.IsNotFound(err) {
				return fmt.Errorf("account %s not found on chain: it must receive funds first", addr)
			}
			if err != nil {
				return err
			}
			a := resp.Account
			return printResult(cmd, &resp, func(w io.Writer) {
				pub := "(none yet: set by the account's first tx)"
				if a.PublicKey != nil {
					pub = a.PublicKey.Type + ":" + base64.StdEncoding.EncodeToString(a.PublicKey.Key)
				}
				kv(w, "address", a.Address, "account_number", a.AccountNumber, "sequence", a.Sequence, "public_key", pub)
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
			c, err := newClient(cmd)
			if err != nil {
				return err
			}
			res, err := c.GetTx(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printResult(cmd, res, func(w io.Writer) {
				printTxResult(w, res)
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
