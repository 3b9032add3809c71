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
	keys := make([]string, len(a.PubKeys))
	for i, k := range a.PubKeys {
		keys[i] = cli.Fingerprint(k.Type, k.Key)
	}
	pairs := []any{"id", a.Id, "owner", a.Owner, "name", a.Name, "description", a.Description, "homepage", a.Homepage,
		"scopes", strings.Join(a.Scopes, ","), "pub_keys", strings.Join(keys, ", "), "key_version", a.KeyVersion,
		"deposit", a.Deposit.String(), "suspended", a.Suspended}
	if a.Suspended {
		pairs = append(pairs, "suspended_by", a.SuspendedBy, "suspend_reason", a.SuspendReason)
	}
	cli.KV(w, append(pairs, "registered_height", a.RegisteredHeight)...)
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
				rows := make([][]any, len(resp.Apps))
				for i, a := range resp.Apps {
					rows[i] = []any{a.Id, a.Owner, a.Name, strings.Join(a.Scopes, ","), a.Suspended}
				}
				cli.Table(w, []string{"id", "owner", "name", "scopes", "suspended"}, rows)
				cli.PrintNextPage(w, resp.Pagination)
			})
		},
	}
	cli.AddPageFlags(cmd, MaxPageSize, MaxPageSize)
	return cmd
}

// grantCells is how a grant's values read: the expiry it has (a height, or a
// UTC time) with "-" for the other, max_uses 0 as "unlimited", an empty
// spend_limit or spent as "none" (a bare 0 or an empty cell read as "nothing
// allowed").
func grantCells(g *Grant) (expiryHeight, expiryTime, maxUses, spendLimit, spent string) {
	expiryHeight, expiryTime = "-", "-"
	if g.ExpiryHeight > 0 {
		expiryHeight = fmt.Sprint(g.ExpiryHeight)
	}
	if g.ExpiryTime > 0 {
		expiryTime = time.Unix(g.ExpiryTime, 0).UTC().Format(time.RFC3339)
	}
	maxUses = "unlimited"
	if g.MaxUses > 0 {
		maxUses = fmt.Sprint(g.MaxUses)
	}
	spendLimit, spent = orNone(g.SpendLimit.String()), orNone(g.Spent.String())
	return
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func printGrant(w io.Writer, g *Grant) {
	expiryHeight, expiryTime, maxUses, spendLimit, spent := grantCells(g)
	cli.KV(w, "user", g.User, "app_id", g.AppId, "scopes", strings.Join(g.Scopes, ","), "expiry_height", expiryHeight,
		"expiry_time", expiryTime, "uses", g.Uses, "max_uses", maxUses, "spent", spent, "spend_limit", spendLimit)
}

func printGrants(w io.Writer, gs []Grant, p *query.PageResponse) {
	rows := make([][]any, len(gs))
	for i := range gs {
		expiryHeight, expiryTime, maxUses, spendLimit, spent := grantCells(&gs[i])
		rows[i] = []any{gs[i].User, gs[i].AppId, strings.Join(gs[i].Scopes, ","), expiryHeight, expiryTime, gs[i].Uses, maxUses, spent, spendLimit}
	}
	cli.Table(w, []string{"user", "app_id", "scopes", "expiry_height", "expiry_time", "uses", "max_uses", "spent", "spend_limit"}, rows)
	cli.PrintNextPage(w, p)
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
			return cli.PrintResult(cmd, resp, func(w io.Writer) { printGrant(w, &resp.Grant) })
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
			if v.GetBool("prove") {
				// Ask about the latest committed state, which includes a tx that
				// `--wait` just saw committed; the header committing it is the next
				// one, so the proof waits for that block (issue 18: asking about
				// latest-1 answered "no grant" right after `grant --wait`). The app's
				// own height (ABCI Info), not /status's: CometBFT stores a block
				// before the app commits it, and a query at that height until then
				// is refused ("version N is not committed yet").
				info, err := c.RPC().ABCIInfo(ctx)
				if err != nil {
					return err
				}
				if height = info.Response.LastBlockHeight; height < 1 {
					return fmt.Errorf("--prove needs a committed block (latest is %d)", height)
				}
			}
			a, err := FetchCheck(ctx, c.ABCIQuery, req, height)
			if err != nil {
				return err
			}
			res := a.Response
			proven, extra := "", map[string]any{}
			if height > 0 {
				appHash, err := c.AppHashAfter(ctx, res.Height, 30*time.Second)
				if err != nil {
					return err
				}
				if _, _, err := VerifyCheck(appHash, a); err != nil {
					return fmt.Errorf("the node's answer does not verify: %w", err)
				}
				proven = fmt.Sprintf("yes, the state after block %d, against app hash %X of header %d", res.Height, appHash, res.Height+1)
				extra = map[string]any{"proven": true, "proven_app_hash": fmt.Sprintf("%X", appHash), "proven_header": res.Height + 1}
			}
			return cli.PrintResultWith(cmd, &res, extra, func(w io.Writer) {
				pairs := []any{"allowed", res.Allowed, "decision", res.Decision, "reason", res.Reason, "height", res.Height}
				if proven != "" {
					pairs = append(pairs, "proven", proven)
				}
				cli.KV(w, pairs...)
			})
		},
	}
	cmd.Flags().String("resource", "", "resource under the scope, e.g. notes/todo.txt")
	cmd.Flags().Int64("time", 0, "evaluate at this unix time (default: now)")
	cmd.Flags().Bool("prove", false, "fetch ICS-23 proofs of the records and verify the answer against the app hash of the node's header (trusting the node's header; an instance uses a light client's)")
	return cmd
}
