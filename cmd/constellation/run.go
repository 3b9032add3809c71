package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/constellation"
)

func upCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up <chain>",
		Short: "Start every validator in the background; returns once blocks are made",
		Long: `Start chain <chain>: a detached supervisor runs "selfchaind start" for each
validator (pid files in <chain>/run, logs in <chain>/logs), restarts a crashed
validator with backoff, and serves the chain's health on 127.0.0.1:<base_port>.
"up" checks the genesis signatures and that every port is free first, and
returns once a node reports a new block. A stopped chain resumes from disk.

selfchaind is found through --selfchaind, $SELFCHAIND, next to constellation, or PATH.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			chain, err := constellation.Open(home, args[0])
			if err != nil {
				return err
			}
			flag, _ := cmd.Flags().GetString("selfchaind")
			bin, err := constellation.FindSelfchaind(flag)
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			timeout, _ := cmd.Flags().GetDuration("timeout")
			start := time.Now()
			h, err := chain.Up(constellation.UpOptions{Home: home, Selfchaind: bin, Self: self, Timeout: timeout})
			if errors.Is(err, constellation.ErrAlreadyUp) {
				fmt.Fprintf(cmd.OutOrStdout(), "%v\n", err)
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "chain %s is up: height %d, %s, %s after start\nstatus: constellation status %s    logs: constellation logs %s node1    stop: constellation down %s\n",
				chain.Spec.Name, h, plural(chain.Spec.Validators, "validator"), time.Since(start).Round(time.Millisecond), chain.Spec.Name, chain.Spec.Name, chain.Spec.Name)
			return nil
		},
	}
	cmd.Flags().String("selfchaind", "", "path of the selfchaind binary")
	cmd.Flags().Duration("timeout", 60*time.Second, "how long to wait for the first block")
	return cmd
}

func downCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "down <chain>",
		Short: "Stop the chain: SIGTERM to each node, SIGKILL after the spec's stop_timeout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, err := openChain(cmd, args[0])
			if err != nil {
				return err
			}
			_, running := chain.SupervisorPID()
			if err := chain.Down(); err != nil {
				return err
			}
			if running {
				fmt.Fprintf(cmd.OutOrStdout(), "chain %s stopped; `constellation up %s` resumes it\n", args[0], args[0])
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "chain %s was not running\n", args[0])
			}
			return nil
		},
	}
}

func superviseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "supervise <chain>",
		Short:  "Run a chain's nodes in the foreground (what `up` starts detached)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, err := openChain(cmd, args[0])
			if err != nil {
				return err
			}
			flag, _ := cmd.Flags().GetString("selfchaind")
			bin, err := constellation.FindSelfchaind(flag)
			if err != nil {
				return err
			}
			return chain.Supervise(bin)
		},
	}
	cmd.Flags().String("selfchaind", "", "path of the selfchaind binary")
	return cmd
}

func statusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status <chain>",
		Short: "Height, block time, validators, peers, mempool, resources and a verdict (ok, degraded, halted)",
		Long: `Read each node's RPC, Prometheus metrics and process, and give the chain a
verdict with the reasons for it:

  ok        every node runs, answers and keeps up; every validator signs
  degraded  blocks are made but something is off (a node down, lagging or
            crash-looping, validator power missing from commits, rounds above 0,
            missing peers, no supervisor)
  halted    no node answers, or no block for 10 block times (at least 5 s)

The same health is served for Prometheus at 127.0.0.1:<base_port>/metrics while
the chain is up.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, err := openChain(cmd, args[0])
			if err != nil {
				return err
			}
			asJSON, err := outputJSON(cmd)
			if err != nil {
				return err
			}
			watch, _ := cmd.Flags().GetBool("watch")
			show := func() error {
				ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
				defer cancel()
				st := chain.Collect(ctx)
				bridges := bridgeViews(ctx, chain) // relay.go: each bridge's clients, pending packets, relayer funds
				if asJSON {
					return printJSON(cmd.OutOrStdout(), withBridges(st, bridges))
				}
				printStatus(cmd.OutOrStdout(), st)
				printBridges(cmd.OutOrStdout(), bridges)
				return nil
			}
			if !watch {
				return show()
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			for {
				if !asJSON {
					fmt.Fprint(cmd.OutOrStdout(), "\033[H\033[2J")
				}
				if err := show(); err != nil {
					return err
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Second):
				}
			}
		},
	}
	addOutputFlag(cmd)
	cmd.Flags().Bool("watch", false, "refresh every second until Ctrl-C")
	return cmd
}

func printStatus(w io.Writer, st *constellation.ChainStatus) {
	fmt.Fprintf(w, "chain %s (%s): %s\n", st.Chain, st.ChainID, strings.ToUpper(st.Verdict))
	if st.Height > 0 {
		interval := "-"
		if st.BlockInterval > 0 {
			interval = fmt.Sprintf("%.2fs", st.BlockInterval)
		}
		fmt.Fprintf(w, "height %d, last block %.1fs ago, average block time %s, app hash %s\n", st.Height, st.BlockAge, interval, st.AppHash)
	}
	if st.Supervisor > 0 {
		fmt.Fprintf(w, "supervisor pid %d, chain metrics %s\n", st.Supervisor, st.ChainMetrics)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nNODE\tPID\tSTATE\tHEIGHT\tPEERS\tMEMPOOL\tROUND\tAPP\tCPU\tMEMORY\tDISK\tRESTARTS")
	for _, n := range st.Nodes {
		state := "down"
		switch {
		case n.Running && n.Reachable:
			state = "up"
		case n.Running:
			state = "starting"
		}
		round := "-"
		if n.Round >= 0 {
			round = fmt.Sprint(n.Round)
		}
		pid := "-"
		if n.Running {
			pid = fmt.Sprint(n.PID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%.0f%%\t%s\t%s\t%d\n", n.Name, pid, state, n.Height, n.Peers, n.Mempool, round,
			orDash(n.AppVersion), n.CPUPercent, bytesText(n.MemoryBytes), bytesText(n.DiskBytes), n.Restarts)
	}
	tw.Flush()
	if len(st.Validators) > 0 {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nVALIDATOR\tADDRESS\tPOWER\tSIGNING\tREPUTATION\tPOAI\tJAILED")
		for _, v := range st.Validators {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%v\t%s\t%s\t%v\n", orDash(v.Name), v.Address, v.Power, v.Signing, orDash(v.Reputation), orDash(v.PoAIStatus), v.Jailed)
		}
		tw.Flush()
		fmt.Fprintf(w, "missing power %d of %d\n", st.MissingPower, st.TotalPower)
		if st.PoAIError != "" {
			fmt.Fprintf(w, "PoAI columns empty: %s\n", st.PoAIError)
		}
	}
	if len(st.Reasons) > 0 {
		fmt.Fprintln(w, "\nreasons:")
		for _, r := range st.Reasons {
			fmt.Fprintf(w, "  - %s\n", r)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

func logsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "logs <chain> <node|supervisor>",
		Short: "Print a node's log (the last --lines), --follow to keep printing",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, err := openChain(cmd, args[0])
			if err != nil {
				return err
			}
			name := args[1]
			if name != "supervisor" {
				i, err := chain.NodeIndex(name)
				if err != nil {
					return err
				}
				name = constellation.NodeName(i)
			}
			path := chain.LogFile(name)
			lines, _ := cmd.Flags().GetInt("lines")
			follow, _ := cmd.Flags().GetBool("follow")
			f, err := os.Open(path)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) && !follow {
					return fmt.Errorf("no log yet for %s of chain %s (%s): start the chain with `constellation up %s`", name, args[0], path, args[0])
				}
				if !errors.Is(err, os.ErrNotExist) {
					return err
				}
			} else {
				f.Close()
				if t := constellation.TailFile(path, lines); t != "" {
					fmt.Fprintln(cmd.OutOrStdout(), t)
				}
			}
			if !follow {
				return nil
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return followFile(ctx, path, cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntP("lines", "n", 100, "how many of the last lines to print")
	cmd.Flags().BoolP("follow", "f", false, "keep printing new lines until Ctrl-C")
	return cmd
}

// followFile prints what is appended to path, polling; a truncated or
// replaced file is read again from its start.
func followFile(ctx context.Context, path string, w io.Writer) error {
	var off int64 = -1
	buf := make([]byte, 64<<10)
	for {
		if fi, err := os.Stat(path); err == nil {
			if off < 0 || fi.Size() < off {
				if off < 0 {
					off = fi.Size()
				} else {
					off = 0
				}
			}
			if fi.Size() > off {
				f, err := os.Open(path)
				if err == nil {
					_, _ = f.Seek(off, io.SeekStart)
					for {
						n, err := f.Read(buf)
						if n > 0 {
							_, _ = w.Write(buf[:n])
							off += int64(n)
						}
						if err != nil {
							break
						}
					}
					f.Close()
				}
			}
		} else if off < 0 {
			off = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// plural is "1 validator", "4 validators": a count a person reads.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
