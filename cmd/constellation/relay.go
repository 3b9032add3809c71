package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/constellation"
	"github.com/selfchain/selfchain/constellation/relayer"
)

// relayCmd runs a bridge's relayer: detached under a supervisor (like nodes),
// or in the terminal with --foreground.
func relayCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "relay <chain> --to <counterparty> [--foreground]",
		Short: "Relay packets of a bridge both ways (in the background under a supervisor; --foreground in this terminal)",
		Long: `Runs the relayer of a bridge made with constellation bridge. It finds what
is pending from both chains' state, delivers packets, acknowledgements and
timeouts in batches with proofs against each chain's light client of the other,
and keeps both clients fresh. It is an untrusted courier: it can delay packets,
never forge them. It logs one line per batch to logs/relay-<counterparty>.log.`,
		Example: `  constellation relay acme --to selfchain-devnet
  constellation relay status acme --to selfchain-devnet
  constellation relay logs acme --to selfchain-devnet --follow
  constellation relay stop acme --to selfchain-devnet`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, cp, err := relayArgs(cmd, args)
			if err != nil {
				return err
			}
			if fg, _ := cmd.Flags().GetBool("foreground"); fg {
				return relayForeground(cmd, chain, cp)
			}
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			var extra []string
			if b, _ := cmd.Flags().GetString("broadcast"); b != "one" {
				if b != "all" {
					return fmt.Errorf("--broadcast %q: want all or one", b)
				}
				extra = append(extra, "--broadcast", b)
			}
			if m, _ := cmd.Flags().GetString("metrics"); m != "" {
				if err := relayer.CheckMetricsAddr(m); err != nil {
					return err
				}
				extra = append(extra, "--metrics", m)
			}
			pid, err := chain.StartRelay(home, self, cp, extra...)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "relayer of %s <-> %s started (supervisor pid %d); log: %s\n", chain.Spec.Name, cp, pid, chain.RelayLog(cp))
			return nil
		},
	}
	addToFlag(cmd)
	cmd.Flags().Bool("foreground", false, "run in this terminal until Ctrl-C instead of under a supervisor")
	cmd.Flags().Duration("interval", 250*time.Millisecond, "longest pause between scans: the relayer also looks at once when either chain commits a block (websocket events; /status polled every 100 ms while they do not come)")
	cmd.Flags().String("metrics", "", "serve Prometheus metrics (packets relayed, pending, client heights, balances) at this loopback host:port under /metrics, e.g. 127.0.0.1:9465")
	cmd.Flags().String("broadcast", "one", "where each tx goes: one (the first reachable node of the chain; the others get it by gossip) or all (every node the relayer knows of the chain, at once; measured slower here, see docs/PERFORMANCE.md)")
	cmd.Flags().String("key", "", "with --foreground: sign with this key name on both chains instead of the bridge's relayer key (a second relayer)")
	cmd.AddCommand(relayStatusCmd(), relayLogsCmd(), relayStopCmd())
	return cmd
}

func addToFlag(cmd *cobra.Command) {
	cmd.Flags().String("to", "", "the bridge's counterparty (as `constellation bridge` named it)")
}

func relayArgs(cmd *cobra.Command, args []string) (*constellation.Chain, string, error) {
	chain, err := openChain(cmd, args[0])
	if err != nil {
		return nil, "", err
	}
	cp, _ := cmd.Flags().GetString("to")
	if cp == "" {
		var names []string
		for _, b := range chain.Bridges() {
			names = append(names, b.Counterparty)
		}
		if len(names) != 1 {
			return nil, "", fmt.Errorf("name the bridge with --to (chain %s has bridges to: %v)", chain.Spec.Name, names)
		}
		cp = names[0]
	}
	if _, err := chain.LoadBridge(cp); err != nil {
		return nil, "", err
	}
	return chain, cp, nil
}

func relayForeground(cmd *cobra.Command, chain *constellation.Chain, cp string) error {
	br, err := chain.LoadBridge(cp)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Every node of a constellation chain as it is now: txs go to all of them.
	cfg := br.WithNodes(func(name string) (*constellation.Chain, bool) {
		c, err := openChain(cmd, name)
		return c, err == nil
	}).Config()
	cfg.Interval, _ = cmd.Flags().GetDuration("interval")
	cfg.MetricsAddr, _ = cmd.Flags().GetString("metrics")
	switch b, _ := cmd.Flags().GetString("broadcast"); b {
	case "one":
	case "all":
		cfg.BroadcastAll = true
	default:
		return fmt.Errorf("--broadcast %q: want all or one", b)
	}
	if key, _ := cmd.Flags().GetString("key"); key != "" {
		// A second relayer needs keys of its own: a shared key's sequence would
		// be raced by both.
		cfg.A.Key, cfg.B.Key = key, key
	}
	lg := log.New(cmd.OutOrStdout(), "", log.LstdFlags|log.Lmicroseconds|log.LUTC)
	cfg.Logf = lg.Printf
	r, err := relayer.New(ctx, cfg)
	if err != nil {
		return err
	}
	return r.Run(ctx)
}

func relayStatusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status <chain> --to <counterparty>",
		Short: "Whether the relayer runs; each side's client, pending packets and the relayer's balance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, cp, err := relayArgs(cmd, args)
			if err != nil {
				return err
			}
			asJSON, err := outputJSON(cmd)
			if err != nil {
				return err
			}
			br, _ := chain.LoadBridge(cp)
			st := bridgeView(cmd.Context(), chain, br)
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			printBridges(cmd.OutOrStdout(), []bridgeStatus{st})
			if t := constellation.TailFile(chain.RelayLog(cp), 5); t != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "last lines of %s:\n%s\n", chain.RelayLog(cp), t)
			}
			return nil
		},
	}
	addToFlag(cmd)
	addOutputFlag(cmd)
	return cmd
}

func relayLogsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "logs <chain> --to <counterparty> [--lines N] [--follow]",
		Short: "Print the relayer's log (one line per batch)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, cp, err := relayArgs(cmd, args)
			if err != nil {
				return err
			}
			path := chain.RelayLog(cp)
			lines, _ := cmd.Flags().GetInt("lines")
			if t := constellation.TailFile(path, lines); t != "" {
				fmt.Fprintln(cmd.OutOrStdout(), t)
			}
			if follow, _ := cmd.Flags().GetBool("follow"); !follow {
				return nil
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return followFile(ctx, path, cmd.OutOrStdout())
		},
	}
	addToFlag(cmd)
	cmd.Flags().IntP("lines", "n", 100, "how many of the last lines to print")
	cmd.Flags().BoolP("follow", "f", false, "keep printing new lines until Ctrl-C")
	return cmd
}

func relayStopCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stop <chain> --to <counterparty>",
		Short: "Stop the relayer (packets stay pending on chain; the next relay resumes them)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, cp, err := relayArgs(cmd, args)
			if err != nil {
				return err
			}
			if chain.StopRelay(cp) {
				fmt.Fprintf(cmd.OutOrStdout(), "relayer of %s <-> %s stopped\n", chain.Spec.Name, cp)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "relayer of %s <-> %s was not running\n", chain.Spec.Name, cp)
			}
			return nil
		},
	}
	addToFlag(cmd)
	return cmd
}

func superviseRelayCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "supervise-relay <chain> --to <counterparty> [-- <relay flags>]",
		Short:  "Run a relayer and restart it when it exits (what `relay` starts detached)",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// After "--": flags for each `relay --foreground` it starts.
			var extra []string
			if at := cmd.ArgsLenAtDash(); at >= 0 {
				args, extra = args[:at], args[at:]
			}
			if len(args) != 1 {
				return fmt.Errorf("supervise-relay takes one chain name, got %q", args)
			}
			chain, cp, err := relayArgs(cmd, args)
			if err != nil {
				return err
			}
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			return chain.SuperviseRelay(home, self, cp, extra...)
		},
	}
	addToFlag(cmd)
	return cmd
}

// bridgeStatus is a bridge in `status` and `relay status`.
type bridgeStatus = constellation.BridgeStatus

func bridgeView(ctx context.Context, chain *constellation.Chain, br *constellation.Bridge) bridgeStatus {
	return chain.BridgeView(ctx, br)
}

func bridgeViews(ctx context.Context, chain *constellation.Chain) []bridgeStatus {
	return chain.BridgeViews(ctx)
}

func printBridges(w io.Writer, bs []bridgeStatus) {
	for _, b := range bs {
		running := "not running (constellation relay " + b.Sides.A.Name + " --to " + b.Counterparty + ")"
		if b.RelayerPID != 0 {
			running = fmt.Sprintf("running, pid %d", b.RelayerPID)
		}
		fmt.Fprintf(w, "\nBRIDGE %s <-> %s: relayer %s\n", b.Sides.A.Name, b.Counterparty, running)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SIDE\tCHAIN\tCLIENT\tOF HEIGHT\tSTATUS\tEXPIRES\tPENDING OUT\tUNDELIVERED\tRELAYER BALANCE")
		for _, s := range []relayer.SideStatus{b.Sides.A, b.Sides.B} {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t%s\n", s.Name, s.ChainID, s.ClientID, s.ClientHeight, s.ClientStatus, s.ExpiresAt, s.Pending, s.Undelivered, s.Balance)
		}
		tw.Flush()
		for _, s := range []relayer.SideStatus{b.Sides.A, b.Sides.B} {
			if s.Error != "" {
				fmt.Fprintf(w, "  %s: %s\n", s.Name, s.Error)
			}
		}
	}
}

// withBridges is the status JSON with the chain's bridges added.
func withBridges(st *constellation.ChainStatus, bs []bridgeStatus) any {
	return struct {
		*constellation.ChainStatus
		Bridges []bridgeStatus `json:"bridges,omitempty"`
	}{st, bs}
}
