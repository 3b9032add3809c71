package permissions

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/cosmos/gogoproto/jsonpb"
	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// GetTxCmd is `tx permissions`.
func GetTxCmd() *cobra.Command {
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
			v := cli.Settings(cmd)
			dep, err := cli.ParseAmount(v.GetString("deposit"))
			if err != nil {
				return err
			}
			keys, err := parsePubKeys(cmd, v.GetStringSlice("pubkey"), args[0])
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgRegisterApp{Owner: from.String(), Id: args[1],
					Name: v.GetString("name"), Description: v.GetString("description"), Homepage: v.GetString("homepage"),
					Scopes: v.GetStringSlice("scopes"), PubKeys: keys, Deposit: dep}}, nil
			})
		},
	}
	appInfoFlags(cmd)
	cmd.Flags().String("deposit", fmt.Sprintf("%d%s", DefaultMinDeposit, DefaultDepositDenom), "deposit locked in the module account")
	cmd.Flags().StringSlice("pubkey", nil, "request-signing keys: keyring key names or <type>:<hex> (default: the owner key)")
	cli.GasAutoByDefault(cmd)
	return cmd
}

// parsePubKeys turns keyring names or "<type>:<hex>" into typed keys; none means def's key.
func parsePubKeys(cmd *cobra.Command, specs []string, def string) ([]types.PubKey, error) {
	if len(specs) == 0 {
		specs = []string{def}
	}
	out := make([]types.PubKey, 0, len(specs))
	for _, s := range specs {
		pk, err := cli.ParsePubKey(cmd, s)
		if err != nil {
			return nil, err
		}
		out = append(out, pk)
	}
	return out, nil
}

func permUpdateAppCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update-app <owner-key> <app-id>",
		Short: "Replace an app's name, description, homepage and declared scopes",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := cli.Settings(cmd)
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgUpdateApp{Owner: from.String(), Id: args[1],
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
			specs := cli.Settings(cmd).GetStringSlice("pubkey")
			if len(specs) == 0 {
				return fmt.Errorf("--pubkey is required: the new keys")
			}
			keys, err := parsePubKeys(cmd, specs, "")
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgRotateAppKey{Owner: from.String(), Id: args[1], PubKeys: keys}}, nil
			})
		},
	}
	cmd.Flags().StringSlice("pubkey", nil, "new keys: keyring key names or <type>:<hex>")
	cli.GasAutoByDefault(cmd)
	return cmd
}

func permSuspendAppCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "suspend-app <owner-or-authority-key> <app-id>",
		Short: "Suspend an app (or lift a suspension with --lift)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := cli.Settings(cmd)
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgSuspendApp{Sender: from.String(), Id: args[1],
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
			v := cli.Settings(cmd)
			m := &MsgGrant{AppId: args[1], Scopes: args[2:], ExpiryHeight: v.GetInt64("expiry-height"), MaxUses: v.GetUint64("max-uses")}
			if s := v.GetString("expiry"); s != "" {
				t, err := parseExpiry(s)
				if err != nil {
					return err
				}
				m.ExpiryTime = t
			}
			if s := v.GetString("spend-limit"); s != "" {
				lim, err := cli.ParseAmount(s)
				if err != nil {
					return err
				}
				m.SpendLimit = lim
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				m.User = from.String()
				return []runtime.Msg{m}, nil
			})
		},
	}
	cmd.Flags().Int64("expiry-height", 0, "last block height at which the grant is usable")
	cmd.Flags().String("expiry", "", "expiry time: RFC 3339 (2027-01-31T00:00:00Z) or a duration from now (720h)")
	// Every grant expires: exactly one of the two.
	cmd.MarkFlagsOneRequired("expiry", "expiry-height")
	cmd.MarkFlagsMutuallyExclusive("expiry", "expiry-height")
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
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgRevoke{User: from.String(), AppId: args[1], Scopes: args[2:]}}, nil
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
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgRevokeAll{User: from.String(), AppId: args[1]}}, nil
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
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgSetKillSwitch{User: from.String(), Enabled: on}}, nil
			})
		},
	}
}

func permExecCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "exec <app-owner-key> <user-address-or-key> <app-id> <msgs.json>",
		Short: "Execute messages for a user under their grant (a JSON array of messages with \"@type\")",
		Example: `  echo '[{"@type":"/selfchain.bank.v1.MsgSend","from_address":"self1user...","to_address":"self1shop...",
         "amount":[{"denom":"uself","amount":"100"}]}]' > msgs.json
  selfchaind tx permissions exec notes-owner self1user... notes-app msgs.json --wait`,
		Args: cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := cli.ResolveAddress(cmd, args[1]) // an address, or a key name like every other command
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
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgExec{Grantee: from.String(), User: user.String(), AppId: args[2], Msgs: msgs}}, nil
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
