package permissions

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/types/query"
)

// GetQueryCmd is `query permissions`.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "permissions", Short: "Query apps, grants, and whether an app may do something for a user"}
	cmd.AddCommand(permParamsCmd(), permAppCmd(), permAppsCmd(), permGrantQueryCmd(), permGrantsByUserCmd(), permGrantsByAppCmd(), permCheckCmd())
	return cmd
}

func permParamsCmd() *cobra.Command {
	return &cobra.Command{
		Use: "params", Short: "Query the module parameters", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Params(cmd.Context(), &QueryParamsRequest{})
			if err != nil {
				return err
			}
			p := resp.Params
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cli.KV(w, "min_deposit", p.MinDeposit.String(), "max_prune_per_block", p.MaxPrunePerBlock,
					"max_exec_msgs", p.MaxExecMsgs, "authority", p.Authority)
			})
		},
	}
}

func printApp(w io.Writer, a *App) {
	cli.KV(w, "id", a.Id, "owner", a.Owner, "name", a.Name, "homepage", a.Homepage, "scopes", strings.Join(a.Scopes, ","),
		"keys", len(a.PubKeys), "key_version", a.KeyVersion, "deposit", a.Deposit.String(), "suspended", a.Suspended)
}

func permAppCmd() *cobra.Command {
	return &cobra.Command{
		Use: "app <app-id>", Short: "Query one app", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).App(cmd.Context(), &QueryAppRequest{Id: args[0]})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { printApp(w, &resp.App) })
		},
	}
}

func permAppsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use: "apps", Short: "List apps by id", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cli.ReadPageRequest(cmd)
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Apps(cmd.Context(), &QueryAppsRequest{Pagination: page})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				for i := range resp.Apps {
					fmt.Fprintf(w, "%s\t%s\t%s\n", resp.Apps[i].Id, resp.Apps[i].Owner, strings.Join(resp.Apps[i].Scopes, ","))
				}
				printPage(w, resp.Pagination, len(resp.Apps))
			})
		},
	}
	cli.AddPageFlags(cmd, MaxPageSize, MaxPageSize)
	return cmd
}

// printPage ends a page: "(none)" when empty, then the next page's key if any.
func printPage(w io.Writer, p *query.PageResponse, n int) {
	if n == 0 {
		fmt.Fprintln(w, "(none)")
	}
	cli.PrintNextPage(w, p)
}

func printGrants(w io.Writer, gs []Grant, p *query.PageResponse) {
	for _, g := range gs {
		exp := fmt.Sprintf("height %d", g.ExpiryHeight)
		if g.ExpiryTime > 0 {
			exp = time.Unix(g.ExpiryTime, 0).UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\texpires %s\tuses %d/%d\tspent %s/%s\n", g.User, g.AppId, strings.Join(g.Scopes, ","),
			exp, g.Uses, g.MaxUses, g.Spent, g.SpendLimit)
	}
	printPage(w, p, len(gs))
}

func permGrantQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use: "grant <user-address-or-key> <app-id>", Short: "Query a user's grant to an app", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Grant(cmd.Context(), &QueryGrantRequest{User: user.String(), AppId: args[1]})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { printGrants(w, []Grant{resp.Grant}, nil) })
		},
	}
}

func permGrantsByUserCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use: "grants-by-user <user-address-or-key>", Short: "List a user's grants", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			page, err := cli.ReadPageRequest(cmd)
			if err != nil {
				return err
			}
			req := &QueryGrantsByUserRequest{User: user.String(), Pagination: page}
			resp, err := cli.QueryClient(cmd, NewQueryClient).GrantsByUser(cmd.Context(), req)
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { printGrants(w, resp.Grants, resp.Pagination) })
		},
	}
	cli.AddPageFlags(cmd, MaxPageSize, MaxPageSize)
	return cmd
}

func permGrantsByAppCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use: "grants-by-app <app-id>", Short: "List the grants users gave an app", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			page, err := cli.ReadPageRequest(cmd)
			if err != nil {
				return err
			}
			req := &QueryGrantsByAppRequest{AppId: args[0], Pagination: page}
			resp, err := cli.QueryClient(cmd, NewQueryClient).GrantsByApp(cmd.Context(), req)
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { printGrants(w, resp.Grants, resp.Pagination) })
		},
	}
	cli.AddPageFlags(cmd, MaxPageSize, MaxPageSize)
	return cmd
}

// permCheckCmd is `query permissions check`; --prove verifies the answer with
// FetchCheck and VerifyCheck.
func permCheckCmd() *cobra.Command {
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
			req := QueryCheckRequest{User: user.String(), AppId: args[1], Scope: args[2], Resource: v.GetString("resource"), Time: tm}
			c, err := cli.NewClient(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
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
			a, err := FetchCheck(ctx, c.ABCIQuery, req, height)
			if err != nil {
				return err
			}
			res := a.Response
			proven := ""
			if appHash != nil {
				if _, _, err := VerifyCheck(appHash, a); err != nil {
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
