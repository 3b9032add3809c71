package auth

import (
	"context"
	"fmt"
	"io"

	gogogrpc "github.com/cosmos/gogoproto/grpc"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
)

// AccountRetriever is the client.AccountRetriever every tx factory uses: it reads
// an account through this module's query service.
type AccountRetriever struct{}

var _ client.AccountRetriever = AccountRetriever{}

// AccountInfo returns the account number, the next sequence and whether the chain
// stores the account's public key. An address the chain has never seen is an
// error: it has no account until it receives funds.
func (AccountRetriever) AccountInfo(ctx context.Context, conn gogogrpc.ClientConn, addr crypto.Address) (number, sequence uint64, hasPubKey bool, err error) {
	resp, err := queryAccount(ctx, conn, addr)
	if err != nil {
		return 0, 0, false, err
	}
	a := resp.Account
	return a.AccountNumber, a.Sequence, a.PublicKey != nil && len(a.PublicKey.Key) > 0, nil
}

func queryAccount(ctx context.Context, conn gogogrpc.ClientConn, addr crypto.Address) (*QueryAccountResponse, error) {
	resp, err := NewQueryClient(conn).Account(ctx, &QueryAccountRequest{Address: addr.String()})
	if client.IsNotFound(err) {
		return nil, fmt.Errorf("account %s not found on chain: it must receive funds first", addr)
	}
	return resp, err
}

// GetQueryCmd is `query auth`.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "Query accounts"}
	cmd.AddCommand(accountCmd())
	return cmd
}

func accountCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "account <address-or-key>",
		Short: "Query an account's number, sequence and public key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := cli.NewClient(cmd)
			if err != nil {
				return err
			}
			resp, err := queryAccount(cmd.Context(), c, addr)
			if err != nil {
				return err
			}
			a := resp.Account
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				// A fingerprint, as `keys list` shows it: a hybrid key is ~2.6 KB (JSON has it whole).
				pub := "(none yet: set by the account's first tx)"
				if a.PublicKey != nil {
					pub = cli.Fingerprint(a.PublicKey.Type, a.PublicKey.Key)
				}
				cli.KV(w, "address", a.Address, "account_number", a.AccountNumber, "sequence", a.Sequence, "public_key_fingerprint", pub)
			})
		},
	}
}
