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

const (
	QueryPathParams       = "/selfchain.permissions.v1.Query/Params"
	QueryPathApp          = "/selfchain.permissions.v1.Query/App"
	QueryPathApps         = "/selfchain.permissions.v1.Query/Apps"
	QueryPathGrant        = "/selfchain.permissions.v1.Query/Grant"
	QueryPathGrantsByUser = "/selfchain.permissions.v1.Query/GrantsByUser"
	QueryPathGrantsByApp  = "/selfchain.permissions.v1.Query/GrantsByApp"
)

// GetQueryCmd is `query permissions` but for `check`, which x/permissions/verify
// holds (GetCheckCmd): verify imports this package.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "permissions", Short: "Query apps, grants, and whether an app may do something for a user"}
	cmd.AddCommand(permParamsCmd(), permAppCmd(), permAppsCmd(), permGrantQueryCmd(), permGrantsByUserCmd(), permGrantsByAppCmd())
	return cmd
}

func permParamsCmd() *cobra.Command {
	return &cobra.Command{
		Use: "params", Short: "Query the module parameters", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp QueryParamsResponse
			if err := cli.QueryOnce(cmd, QueryPathParams, &QueryParamsRequest{}, &resp); err != nil {
				return err
			}
			p := resp.Params
			return cli.PrintResult(cmd, &resp, func(w io.Writer) {
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
			var resp QueryAppResponse
			if err := cli.QueryOnce(cmd, QueryPathApp, &QueryAppRequest{Id: args[0]}, &resp); err != nil {
				return err
			}
			return cli.PrintResult(cmd, &resp, func(w io.Writer) { printApp(w, &resp.App) })
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
			var resp QueryAppsResponse
			if err := cli.QueryOnce(cmd, QueryPathApps, &QueryAppsRequest{Pagination: page}, &resp); err != nil {
				return err
			}
			return cli.PrintResult(cmd, &resp, func(w io.Writer) {
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
			var resp QueryGrantResponse
			if err := cli.QueryOnce(cmd, QueryPathGrant, &QueryGrantRequest{User: user.String(), AppId: args[1]}, &resp); err != nil {
				return err
			}
			return cli.PrintResult(cmd, &resp, func(w io.Writer) { printGrants(w, []Grant{resp.Grant}, nil) })
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
			var resp QueryGrantsResponse
			req := &QueryGrantsByUserRequest{User: user.String(), Pagination: page}
			if err := cli.QueryOnce(cmd, QueryPathGrantsByUser, req, &resp); err != nil {
				return err
			}
			return cli.PrintResult(cmd, &resp, func(w io.Writer) { printGrants(w, resp.Grants, resp.Pagination) })
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
			var resp QueryGrantsResponse
			req := &QueryGrantsByAppRequest{AppId: args[0], Pagination: page}
			if err := cli.QueryOnce(cmd, QueryPathGrantsByApp, req, &resp); err != nil {
				return err
			}
			return cli.PrintResult(cmd, &resp, func(w io.Writer) { printGrants(w, resp.Grants, resp.Pagination) })
		},
	}
	cli.AddPageFlags(cmd, MaxPageSize, MaxPageSize)
	return cmd
}
