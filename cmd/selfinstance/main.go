// Command selfinstance runs the user's instance: the HTTPS gateway through which
// apps reach the user's private LLM and sovereign storage, and the commands the
// user answers apps' authorization requests with.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/instance"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{Use: "selfinstance", Short: "The user's instance: private LLM and sovereign storage behind a permission-checking gateway",
		SilenceUsage: true, SilenceErrors: true}
	root.PersistentFlags().String("home", defaultHome(), "the instance's directory")
	root.AddCommand(initCmd(), startCmd(), requestsCmd(), approveCmd(), denyCmd(), revokeCmd(), appsCmd(), auditCmd())
	return root
}

func defaultHome() string {
	h, _ := os.UserHomeDir()
	return filepath.Join(h, ".selfinstance")
}

func home(cmd *cobra.Command) string { s, _ := cmd.Flags().GetString("home"); return s }

// openKeyring opens the configured keyring; the file backend's passphrase comes
// from SELFCHAIN_KEYRING_PASSPHRASE or the terminal.
func openKeyring(c instance.Config) (keyring.Keyring, error) {
	return instance.OpenKeyring(c, keyring.EnvPassphrase())
}

func initCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init --owner <key> --node <rpc> [flags]",
		Short: "Create the instance: config, TLS key (in the keyring) and certificate, light-client trust root",
		Example: `  selfinstance init --home ./.instance --owner alice --tier free \
    --llm http://127.0.0.1:11434/v1 --model llama3.2:1b --node tcp://127.0.0.1:26657 --keyring-dir ~/.selfchain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			c := instance.DefaultConfig()
			c.Owner, _ = f.GetString("owner")
			c.Tier, _ = f.GetString("tier")
			c.QuotaBytes, _ = f.GetInt64("quota-bytes")
			c.LLM, _ = f.GetString("llm")
			c.Model, _ = f.GetString("model")
			c.Node, _ = f.GetString("node")
			c.Listen, _ = f.GetString("listen")
			c.KeyringDir, _ = f.GetString("keyring-dir")
			c.KeyringBackend, _ = f.GetString("keyring-backend")
			c.TLSKey, _ = f.GetString("tls-key")
			c.Advertise, _ = f.GetString("advertise")
			c.Region, _ = f.GetString("region")
			c.MaxValueBytes, _ = f.GetInt64("max-value-bytes")
			c.RatePerSecond, _ = f.GetInt("rate")
			c.RateBurst, _ = f.GetInt("burst")
			c.HeartbeatBlocks, _ = f.GetInt64("heartbeat-blocks")
			if c.KeyringDir == "" {
				c.KeyringDir = home(cmd)
			}
			kr, err := openKeyring(c)
			if err != nil {
				return err
			}
			rec, err := kr.Get(c.Owner)
			if err != nil {
				return fmt.Errorf("owner key %q: %w (keyring %s, backend %s)", c.Owner, err, c.KeyringDir, c.KeyringBackend)
			}
			c.OwnerAddress = rec.Address.String()
			ctx, cancel := context.WithTimeout(cmd.Context(), 20*time.Second)
			defer cancel()
			if c.ChainID, c.TrustHeight, c.TrustHash, err = instance.TrustRoot(ctx, c.Node); err != nil {
				return err
			}
			if err := c.Validate(); err != nil {
				return err
			}
			host, _, err := net.SplitHostPort(c.Listen)
			if err != nil {
				return fmt.Errorf("--listen %q: %w", c.Listen, err)
			}
			hosts, _ := f.GetStringSlice("host")
			if c.Advertise != "" {
				ah, _, err := net.SplitHostPort(c.Advertise)
				if err != nil {
					return fmt.Errorf("--advertise %q: %w", c.Advertise, err)
				}
				hosts = append(hosts, ah)
			}
			pub, err := instance.Init(home(cmd), c, kr, append([]string{host}, hosts...))
			if err != nil {
				return err
			}
			if u, err := url.Parse(c.LLM); c.LLM != "" && err == nil {
				if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: the LLM at %s is not on loopback: anyone who reaches it bypasses the gateway's permission checks (bind it to 127.0.0.1)\n", c.LLM)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "instance of %s initialised in %s\nTLS key (ed25519, keyring %q): %s\nlight client trusts %s at height %d\n",
				c.OwnerAddress, home(cmd), c.TLSKey, pub, c.ChainID, c.TrustHeight)
			return nil
		},
	}
	f := cmd.Flags()
	f.String("owner", "", "keyring name of the user's key (grants are sent with it; storage is sealed to it)")
	f.String("tier", "free", "storage tier: free (10 GiB), growth (50 GiB), pro (200 GiB), enterprise (--quota-bytes)")
	f.Int64("quota-bytes", 0, "storage quota of the enterprise tier")
	f.Int64("heartbeat-blocks", 0, "with --advertise: send an x/registry heartbeat every this many blocks (0 = a quarter of the registry's stale_after_blocks)")
	f.String("llm", "", "OpenAI-compatible API base of the private LLM, e.g. http://127.0.0.1:11434/v1")
	f.String("model", "", "model name sent to the LLM")
	f.String("node", "tcp://127.0.0.1:26657", "CometBFT RPC of the user's node")
	f.String("listen", "127.0.0.1:8443", "host:port the HTTPS API listens on")
	f.StringSlice("host", nil, "extra DNS names or IPs for the certificate")
	f.String("keyring-dir", "", "directory holding the keyring (default: --home)")
	f.String("keyring-backend", "file", "keyring backend: file or test")
	f.String("advertise", "", "host:port apps reach the gateway at; start registers/refreshes it in x/registry (empty: don't)")
	f.String("region", "local", "region of the instance's x/registry entry")
	f.String("tls-key", instance.TLSKeyName, "keyring name of the instance's Ed25519 TLS key (created when absent)")
	f.Int64("max-value-bytes", 1<<20, "largest storage value")
	f.Int("rate", 50, "requests per second per app")
	f.Int("burst", 100, "burst of requests per app")
	_ = cmd.MarkFlagRequired("owner")
	return cmd
}

func startCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "start",
		Short: "Serve the gateway over TLS (X25519MLKEM768 key exchange) until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := instance.LoadConfig(home(cmd))
			if err != nil {
				return err
			}
			kr, err := openKeyring(c)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return instance.Run(ctx, home(cmd), c, kr, cmd.OutOrStdout())
		},
	}
}

// openDB opens the instance's database for the user's commands (no values are opened).
func openDB(cmd *cobra.Command) (instance.Config, *instance.DB, error) {
	c, err := instance.LoadConfig(home(cmd))
	if err != nil {
		return c, nil, err
	}
	db, err := instance.OpenDB(home(cmd), nil, nil)
	return c, db, err
}

func printJSON(cmd *cobra.Command, v any) error {
	e := json.NewEncoder(cmd.OutOrStdout())
	e.SetIndent("", "  ")
	return e.Encode(v)
}

func requestsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "requests",
		Short: "List apps' authorization requests (pending by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, db, err := openDB(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			all, _ := cmd.Flags().GetBool("all")
			status := instance.StatusPending
			if all {
				status = ""
			}
			rs, err := db.Requests(status)
			if err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				if rs == nil {
					rs = []instance.Request{}
				}
				return printJSON(cmd, rs)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tAPP\tSCOPES\tSTATUS\tASKED")
			for _, r := range rs {
				fmt.Fprintf(w, "%d\t%s\t%v\t%s\t%s\n", r.ID, r.App, r.Scopes, r.Status, time.Unix(r.Created, 0).UTC().Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
	cmd.Flags().Bool("all", false, "include approved and denied requests")
	cmd.Flags().Bool("json", false, "print JSON")
	return cmd
}

func requestArg(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("request id %q: want the number shown by selfinstance requests", s)
	}
	return id, nil
}

func approveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "approve <id>",
		Short: "Approve an app's request: sends MsgGrant for its scopes, signed with the owner's key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := requestArg(args[0])
			if err != nil {
				return err
			}
			c, db, err := openDB(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := db.GetRequest(id)
			if err != nil {
				return err
			}
			if r.Status != instance.StatusPending {
				return fmt.Errorf("request %d is already %s", id, r.Status)
			}
			kr, err := openKeyring(c)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			tx, err := instance.SendGrant(ctx, c, kr, r.App, r.Scopes)
			if err != nil {
				return fmt.Errorf("grant to %s: %w", r.App, err)
			}
			if err := db.DecideRequest(id, instance.StatusApproved, tx); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "approved request %d: %s may use %v (MsgGrant tx %s)\n", id, r.App, r.Scopes, tx)
			return nil
		},
	}
}

func denyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "deny <id>",
		Short: "Deny an app's request (nothing is sent to the chain)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := requestArg(args[0])
			if err != nil {
				return err
			}
			_, db, err := openDB(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.GetRequest(id); err != nil {
				return err
			}
			if err := db.DecideRequest(id, instance.StatusDenied, ""); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "denied request %d\n", id)
			return nil
		},
	}
}

func revokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke <app-id>",
		Short: "Revoke everything granted to an app (MsgRevokeAll); effective at the gateway within one block",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := instance.LoadConfig(home(cmd))
			if err != nil {
				return err
			}
			kr, err := openKeyring(c)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			tx, err := instance.SendRevoke(ctx, c, kr, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s (tx %s)\n", args[0], tx)
			return nil
		},
	}
}

func appsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "apps",
		Short: "List the apps the owner granted, with scopes and expiry (from the node)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := instance.LoadConfig(home(cmd))
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 20*time.Second)
			defer cancel()
			gs, err := instance.Grants(ctx, c)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(w, "APP\tSCOPES\tEXPIRES")
			for _, g := range gs {
				exp := fmt.Sprintf("height %d", g.ExpiryHeight)
				if g.ExpiryTime > 0 {
					exp = time.Unix(g.ExpiryTime, 0).UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%v\t%s\n", g.AppId, g.Scopes, exp)
			}
			return w.Flush()
		},
	}
}

func auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit [--app id]",
		Short: "List the gateway's decisions: time, app, key, request, scope, result",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, db, err := openDB(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			app, _ := cmd.Flags().GetString("app")
			n, _ := cmd.Flags().GetInt("limit")
			es, err := db.AuditLog(app, n)
			if err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				if es == nil {
					es = []instance.AuditEntry{}
				}
				return printJSON(cmd, es)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TIME\tAPP\tNAMESPACE\tKEY\tREQUEST\tSCOPE\tRESULT\tHEIGHT")
			for _, e := range es {
				ns := e.Namespace // another app's data reached through sharing
				if ns == "" {
					ns = "(own)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s %s\t%s\t%s\t%d\n", time.Unix(e.Time, 0).UTC().Format(time.RFC3339), e.App, ns, e.AppKey, e.Method, e.Path, e.Scope, e.Result, e.Height)
			}
			return w.Flush()
		},
	}
	cmd.Flags().String("app", "", "only this app")
	cmd.Flags().Int("limit", 1000, "most recent entries to show")
	cmd.Flags().Bool("json", false, "print JSON (for export)")
	return cmd
}
