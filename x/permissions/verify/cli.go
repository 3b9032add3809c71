package verify

import (
	"fmt"
	"io"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/x/permissions"
)

// GetCheckCmd is `query permissions check`: x/permissions registers the rest of
// `query permissions`; this package imports it, so the command that proves answers
// lives here.
func GetCheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check <user-address-or-key> <app-id> <scope>",
		Short: "Ask whether an app may use a scope for a user (--prove: verify the answer's proofs)",
		Example: `  selfchaind query permissions check bob notes-app storage:read --resource notes/todo.txt
  selfchaind query permissions check self1... notes-app bank:send --prove`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := cli.Settings(cmd)
			user, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			tm := v.GetInt64("time")
			if tm == 0 {
				tm = time.Now().Unix() // the client's clock; the chain itself uses block time
			}
			req := permissions.QueryCheckRequest{User: user.String(), AppId: args[1], Scope: args[2], Resource: v.GetString("resource"), Time: tm}
			c, err := cli.NewClient(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			q := func(r *abci.RequestQuery) (*abci.ResponseQuery, error) {
				res, err := c.RPC().ABCIQueryWithOptions(ctx, r.Path, r.Data, rpcQueryOpts(r))
				if err != nil {
					return nil, err
				}
				return &res.Response, nil
			}
			height := int64(0)
			var appHash []byte
			if v.GetBool("prove") {
				// The state after block H is committed by header H+1: ask about the
				// block before the latest, whose successor header exists.
				st, err := c.Status(ctx)
				if err != nil {
					return err
				}
				latest := st.SyncInfo.LatestBlockHeight
				if latest < 2 {
					return fmt.Errorf("--prove needs at least 2 blocks (latest is %d)", latest)
				}
				height = latest - 1
				commit, err := c.RPC().Commit(ctx, &latest)
				if err != nil {
					return err
				}
				appHash = commit.Header.AppHash
			}
			a, err := Fetch(q, req, height)
			if err != nil {
				return err
			}
			res := a.Response
			proven := ""
			if appHash != nil {
				if _, _, err := Verify(appHash, a); err != nil {
					return fmt.Errorf("the node's answer does not verify: %w", err)
				}
				proven = fmt.Sprintf("yes, against app hash %X of header %d", appHash, height+1)
			}
			return cli.PrintResult(cmd, &res, func(w io.Writer) {
				cli.KV(w, "allowed", res.Allowed, "decision", res.Decision.String(), "reason", res.Reason, "height", res.Height)
				if proven != "" {
					cli.KV(w, "proven", proven)
				}
			})
		},
	}
	cmd.Flags().String("resource", "", "resource under the scope, e.g. notes/todo.txt")
	cmd.Flags().Int64("time", 0, "evaluate at this unix time (default: now)")
	cmd.Flags().Bool("prove", false, "fetch ICS-23 proofs of the records and verify the answer against the app hash of the node's header (trusting the node's header; an instance uses a light client's)")
	return cmd
}

func rpcQueryOpts(r *abci.RequestQuery) rpcclient.ABCIQueryOptions {
	return rpcclient.ABCIQueryOptions{Height: r.Height, Prove: r.Prove}
}
