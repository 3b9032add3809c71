package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cosmos/gogoproto/jsonpb"
	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/permissions"
	"github.com/selfchain/selfchain/x/permissions/verify"
)

const (
	pathPermParams       = "/selfchain.permissions.v1.Query/Params"
	pathPermApp          = "/selfchain.permissions.v1.Query/App"
	pathPermApps         = "/selfchain.permissions.v1.Query/Apps"
	pathPermGrant        = "/selfchain.permissions.v1.Query/Grant"
	pathPermGrantsByUser = "/selfchain.permissions.v1.Query/GrantsByUser"
	pathPermGrantsByApp  = "/selfchain.permissions.v1.Query/GrantsByApp"
)

func permissionsTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "permissions", Short: "Register apps, grant and revoke their access, execute for a user"}
	cmd.AddCommand(permRegisterAppCmd(), permUpdateAppCmd(), permRotateKeyCmd(), permSuspendAppCmd(),
		permGrantCmd(), permRevokeCmd(), permRevokeAllCmd(), permKillSwitchCmd(), permExecCmd())
	return cmd
}

func appInfoFlags(cmd *cobra.Command) {
	cmd.Flags().String("name", "", "human-readable name (required)")
	cmd.Flags().String("description", "", "what the app does")
	cmd.Flags().String("homepage", "", "https:// URL")
	cmd.Flags().StringSlice("scopes", nil, "scopes the app may ask for, comma-separated (e.g. storage:read:notes/,ai:chat)")
}

func permRegisterAppCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register-app <owner-key> <app-id>",
		Short: "Register an app; the owner key signs its MsgExec and, by default, its requests",
		Example: `  selfchaind tx permissions register-app alice notes-app --name Notes --scopes storage:read:notes/,bank:send \
      --deposit 1000000uself --wait`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := settings(cmd)
			dep, err := parseAmount(v.GetString("deposit"))
			if err != nil {
				return err
			}
			keys, err := parsePubKeys(cmd, v.GetStringSlice("pubkey"), args[0])
			if err != nil {
				return err
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&permissions.MsgRegisterApp{Owner: from.String(), Id: args[1],
					Name: v.GetString("name"), Description: v.GetString("description"), Homepage: v.GetString("homepage"),
					Scopes: v.GetStringSlice("scopes"), PubKeys: keys, Deposit: dep}}, nil
			})
		},
	}
	appInfoFlags(cmd)
	cmd.Flags().String("deposit", fmt.Sprintf("%d%s", permissions.DefaultMinDeposit, permissions.DefaultDepositDenom), "deposit locked in the module account")
	cmd.Flags().StringSlice("pubkey", nil, "request-signing keys: keyring key names or <type>:<hex> (default: the owner key)")
	return cmd
}

// parsePubKeys turns keyring names or "<type>:<hex>" into typed keys; none means def's key.
func parsePubKeys(cmd *cobra.Command, specs []string, def string) ([]types.PubKey, error) {
	if len(specs) == 0 {
		specs = []string{def}
	}
	var out []types.PubKey
	for _, s := range specs {
		if typ, hx, ok := strings.Cut(s, ":"); ok {
			key, err := hex.DecodeString(hx)
			if err != nil {
				return nil, fmt.Errorf("pubkey %q: %w", s, err)
			}
			if _, err := crypto.PubKeyFromTyped(typ, key); err != nil {
				return nil, fmt.Errorf("pubkey %q: %w", s, err)
			}
			out = append(out, types.PubKey{Type: typ, Key: key})
			continue
		}
		kr, err := openKeyring(cmd)
		if err != nil {
			return nil, err
		}
		rec, err := kr.Get(s)
		if err != nil {
			return nil, fmt.Errorf("pubkey %q: not <type>:<hex> and not a key in the keyring: %w", s, err)
		}
		out = append(out, types.PubKey{Type: rec.PubKey.Type(), Key: rec.PubKey.Bytes()})
	}
	return out, nil
}

func permUpdateAppCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update-app <owner-key> <app-id>",
		Short: "Replace an app's name, description, homepage and declared scopes",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := settings(cmd)
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&permissions.MsgUpdateApp{Owner: from.String(), Id: args[1],
					Name: v.GetString("name"), Description: v.GetString("description"), Homepage: v.GetString("homepage"),
					Scopes: v.GetStringSlice("scopes")}}, nil
			})
		},
	}
	appInfoFlags(cmd)
	return cmd
}

func permRotateKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate-app-key <owner-key> <app-id> --pubkey <key-name-or-type:hex>...",
		Short: "Replace an app's request-signing keys",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			specs := settings(cmd).GetStringSlice("pubkey")
			if len(specs) == 0 {
				return fmt.Errorf("--pubkey is required: the new keys")
			}
			keys, err := parsePubKeys(cmd, specs, "")
			if err != nil {
				return err
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&permissions.MsgRotateAppKey{Owner: from.String(), Id: args[1], PubKeys: keys}}, nil
			})
		},
	}
	cmd.Flags().StringSlice("pubkey", nil, "new keys: keyring key names or <type>:<hex>")
	return cmd
}

func permSuspendAppCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "suspend-app <owner-or-authority-key> <app-id>",
		Short: "Suspend an app (or lift a suspension with --lift)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := settings(cmd)
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&permissions.MsgSuspendApp{Sender: from.String(), Id: args[1],
					Suspend: !v.GetBool("lift"), Reason: v.GetString("reason")}}, nil
			})
		},
	}
	cmd.Flags().Bool("lift", false, "lift the suspension instead")
	cmd.Flags().String("reason", "", "why (stored with the app)")
	return cmd
}

func permGrantCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grant <user-key> <app-id> <scope>...",
		Short: "Grant an app scopes until --expiry-height or --expiry (replaces an existing grant)",
		Example: `  selfchaind tx permissions grant bob notes-app storage:read:notes/ --expiry 720h --wait
  selfchaind tx permissions grant bob notes-app bank:send --spend-limit 5000uself --max-uses 10 --expiry-height 200000`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := settings(cmd)
			m := &permissions.MsgGrant{AppId: args[1], Scopes: args[2:], ExpiryHeight: v.GetInt64("expiry-height"), MaxUses: v.GetUint64("max-uses")}
			if s := v.GetString("expiry"); s != "" {
				t, err := parseExpiry(s)
				if err != nil {
					return err
				}
				m.ExpiryTime = t
			}
			if s := v.GetString("spend-limit"); s != "" {
				lim, err := parseAmount(s)
				if err != nil {
					return err
				}
				m.SpendLimit = lim
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				m.User = from.String()
				return []runtime.Msg{m}, nil
			})
		},
	}
	cmd.Flags().Int64("expiry-height", 0, "last block height at which the grant is usable")
	cmd.Flags().String("expiry", "", "expiry time: RFC 3339 (2027-01-31T00:00:00Z) or a duration from now (720h)")
	cmd.Flags().Uint64("max-uses", 0, "inner messages MsgExec may run under the grant (0 = unlimited)")
	cmd.Flags().String("spend-limit", "", "total the app may send for bank:send (required with it), e.g. 5000uself")
	return cmd
}

// parseExpiry reads RFC 3339 or a duration from now (the client's clock: the
// chain compares against block time).
func parseExpiry(s string) (int64, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(d).Unix(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, fmt.Errorf("--expiry %q: want RFC 3339 or a duration like 720h", s)
	}
	return t.Unix(), nil
}

func permRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke <user-key> <app-id> <scope>...",
		Short: "Remove scopes from your grant to an app (effective for the next tx, same block)",
		Args:  cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&permissions.MsgRevoke{User: from.String(), AppId: args[1], Scopes: args[2:]}}, nil
			})
		},
	}
}

func permRevokeAllCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke-all <user-key> <app-id>",
		Short: "Delete your grant to an app",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&permissions.MsgRevokeAll{User: from.String(), AppId: args[1]}}, nil
			})
		},
	}
}

func permKillSwitchCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "kill-switch <user-key> on|off",
		Short: "Turn every grant you gave off (on) or back on (off)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var on bool
			switch args[1] {
			case "on":
				on = true
			case "off":
			default:
				return fmt.Errorf("want on or off, got %q", args[1])
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&permissions.MsgSetKillSwitch{User: from.String(), Enabled: on}}, nil
			})
		},
	}
}

func permExecCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "exec <app-owner-key> <user-address> <app-id> <msgs.json>",
		Short: "Execute messages for a user under their grant (a JSON array of messages with \"@type\")",
		Example: `  echo '[{"@type":"/selfchain.bank.v1.MsgSend","from_address":"self1user...","to_address":"self1shop...",
         "amount":[{"denom":"uself","amount":"100"}]}]' > msgs.json
  selfchaind tx permissions exec notes-owner self1user... notes-app msgs.json --wait`,
		Args: cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := parseAddress("user", args[1])
			if err != nil {
				return err
			}
			raw, err := os.ReadFile(args[3])
			if err != nil {
				return err
			}
			msgs, err := parseAnyList(raw)
			if err != nil {
				return fmt.Errorf("%s: %w", args[3], err)
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&permissions.MsgExec{Grantee: from.String(), User: user.String(), AppId: args[2], Msgs: msgs}}, nil
			})
		},
	}
}

// parseAnyList reads a JSON array of proto-JSON messages, each naming its "@type".
func parseAnyList(raw []byte) ([]*gogotypes.Any, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("want a JSON array of messages: %w", err)
	}
	out := make([]*gogotypes.Any, len(items))
	for i, it := range items {
		a := new(gogotypes.Any)
		if err := (&jsonpb.Unmarshaler{}).Unmarshal(bytes.NewReader(it), a); err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		out[i] = a
	}
	return out, nil
}

func permissionsQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "permissions", Short: "Query apps, grants, and whether an app may do something for a user"}
	cmd.AddCommand(permParamsCmd(), permAppCmd(), permAppsCmd(), permGrantQueryCmd(), permGrantsByUserCmd(), permGrantsByAppCmd(), permCheckCmd())
	return cmd
}

func permParamsCmd() *cobra.Command {
	return &cobra.Command{
		Use: "params", Short: "Query the module parameters", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp permissions.QueryParamsResponse
			if err := queryOnce(cmd, pathPermParams, &permissions.QueryParamsRequest{}, &resp); err != nil {
				return err
			}
			p := resp.Params
			return printResult(cmd, &resp, func(w io.Writer) {
				kv(w, "min_deposit", p.MinDeposit.String(), "max_prune_per_block", p.MaxPrunePerBlock,
					"max_exec_msgs", p.MaxExecMsgs, "authority", p.Authority)
			})
		},
	}
}

func printApp(w io.Writer, a *permissions.App) {
	kv(w, "id", a.Id, "owner", a.Owner, "name", a.Name, "homepage", a.Homepage, "scopes", strings.Join(a.Scopes, ","),
		"keys", len(a.PubKeys), "key_version", a.KeyVersion, "deposit", a.Deposit.String(), "suspended", a.Suspended)
}

func permAppCmd() *cobra.Command {
	return &cobra.Command{
		Use: "app <app-id>", Short: "Query one app", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp permissions.QueryAppResponse
			if err := queryOnce(cmd, pathPermApp, &permissions.QueryAppRequest{Id: args[0]}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) { printApp(w, &resp.App) })
		},
	}
}

func permAppsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use: "apps", Short: "List apps by id", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := pageRequest(cmd)
			if err != nil {
				return err
			}
			var resp permissions.QueryAppsResponse
			if err := queryOnce(cmd, pathPermApps, &permissions.QueryAppsRequest{Pagination: page}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				for i := range resp.Apps {
					fmt.Fprintf(w, "%s\t%s\t%s\n", resp.Apps[i].Id, resp.Apps[i].Owner, strings.Join(resp.Apps[i].Scopes, ","))
				}
				printPage(w, resp.Pagination, len(resp.Apps))
			})
		},
	}
	addPageFlags(cmd, permissions.MaxPageSize, permissions.MaxPageSize)
	return cmd
}

// printPage ends a page: "(none)" when empty, then the next page's key if any.
func printPage(w io.Writer, p *query.PageResponse, n int) {
	if n == 0 {
		fmt.Fprintln(w, "(none)")
	}
	printNextPage(w, p)
}

func printGrants(w io.Writer, gs []permissions.Grant, p *query.PageResponse) {
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
			user, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			var resp permissions.QueryGrantResponse
			if err := queryOnce(cmd, pathPermGrant, &permissions.QueryGrantRequest{User: user.String(), AppId: args[1]}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) { printGrants(w, []permissions.Grant{resp.Grant}, nil) })
		},
	}
}

func permGrantsByUserCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use: "grants-by-user <user-address-or-key>", Short: "List a user's grants", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			page, err := pageRequest(cmd)
			if err != nil {
				return err
			}
			var resp permissions.QueryGrantsResponse
			req := &permissions.QueryGrantsByUserRequest{User: user.String(), Pagination: page}
			if err := queryOnce(cmd, pathPermGrantsByUser, req, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) { printGrants(w, resp.Grants, resp.Pagination) })
		},
	}
	addPageFlags(cmd, permissions.MaxPageSize, permissions.MaxPageSize)
	return cmd
}

func permGrantsByAppCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use: "grants-by-app <app-id>", Short: "List the grants users gave an app", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			page, err := pageRequest(cmd)
			if err != nil {
				return err
			}
			var resp permissions.QueryGrantsResponse
			req := &permissions.QueryGrantsByAppRequest{AppId: args[0], Pagination: page}
			if err := queryOnce(cmd, pathPermGrantsByApp, req, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) { printGrants(w, resp.Grants, resp.Pagination) })
		},
	}
	addPageFlags(cmd, permissions.MaxPageSize, permissions.MaxPageSize)
	return cmd
}

func permCheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check <user-address-or-key> <app-id> <scope>",
		Short: "Ask whether an app may use a scope for a user (--prove: verify the answer's proofs)",
		Example: `  selfchaind query permissions check bob notes-app storage:read --resource notes/todo.txt
  selfchaind query permissions check self1... notes-app bank:send --prove`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := settings(cmd)
			user, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			tm := v.GetInt64("time")
			if tm == 0 {
				tm = time.Now().Unix() // the client's clock; the chain itself uses block time
			}
			req := permissions.QueryCheckRequest{User: user.String(), AppId: args[1], Scope: args[2], Resource: v.GetString("resource"), Time: tm}
			c, err := newClient(cmd)
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
			a, err := verify.Fetch(q, req, height)
			if err != nil {
				return err
			}
			res := a.Response
			proven := ""
			if appHash != nil {
				if _, _, err := verify.Verify(appHash, a); err != nil {
					return fmt.Errorf("the node's answer does not verify: %w", err)
				}
				proven = fmt.Sprintf("yes, against app hash %X of header %d", appHash, height+1)
			}
			return printResult(cmd, &res, func(w io.Writer) {
				kv(w, "allowed", res.Allowed, "decision", res.Decision.String(), "reason", res.Reason, "height", res.Height)
				if proven != "" {
					kv(w, "proven", proven)
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
