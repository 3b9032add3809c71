package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/constellation"
	"github.com/selfchain/selfchain/constellation/dashboard"
)

func dashboardCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve every chain under the home in a browser: health, validators, AI verdicts, nodes, bridges, usage",
		Long: `Serve a web dashboard of every chain under --home: the fleet with each
chain's verdict and its reasons (the same as ` + "`status`" + `), then one chain's
blocks, validators, PoAI flagged transactions, nodes and bridges, refreshed live.
Usage per chain and day (node-hours, txs, storage, bridge packets) is metered
while it runs and exported at /usage.csv and /usage.json.

Actions (restart a node, stop or start a chain, rotate logs) need the login
token printed on start (or --token / $CONSTELLATION_DASHBOARD_TOKEN); without it
the dashboard is read-only. Every action is appended to
<home>/.dashboard/audit.log.`,
		Example: `  constellation dashboard --listen 127.0.0.1:8088`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			listen, _ := cmd.Flags().GetString("listen")
			poll, _ := cmd.Flags().GetDuration("poll")
			if poll < 200*time.Millisecond {
				return fmt.Errorf("invalid --poll %s: at least 200ms", poll)
			}
			token, _ := cmd.Flags().GetString("token")
			if token == "" {
				token = os.Getenv("CONSTELLATION_DASHBOARD_TOKEN")
			}
			if token == "" {
				token = dashboard.NewToken()
			}
			flag, _ := cmd.Flags().GetString("selfchaind")
			bin, binErr := constellation.FindSelfchaind(flag)
			self, err := os.Executable()
			if err != nil {
				return err
			}
			lg := log.New(cmd.ErrOrStderr(), "", log.LstdFlags|log.LUTC)
			if binErr != nil {
				lg.Printf("the start action is off: %v", binErr)
				bin = ""
			}
			srv, err := dashboard.New(dashboard.Options{Home: home, Token: token, Poll: poll, Selfchaind: bin, Self: self, Logf: lg.Printf})
			if err != nil {
				return err
			}
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv.Poll(ctx) // the first page has data
			go srv.Run(ctx)
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
			fmt.Fprintf(cmd.OutOrStdout(), "dashboard of %s on http://%s\nlogin token: %s\naudit log: %s\n", home, l.Addr(), token, srv.AuditPath())
			if tcp, ok := l.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
				lg.Printf("warning: %s is not a loopback address: the login token travels in the clear; put the dashboard behind a TLS proxy", l.Addr())
			}
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = hs.Shutdown(sctx)
			}()
			if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().String("listen", "127.0.0.1:8088", "address to serve on (keep it on loopback or behind a TLS proxy: the token travels in the clear)")
	cmd.Flags().Duration("poll", dashboard.DefaultPoll, "how often each chain is collected")
	cmd.Flags().String("token", "", "login token for actions (default: $CONSTELLATION_DASHBOARD_TOKEN, else a random one)")
	cmd.Flags().String("selfchaind", "", "path of the selfchaind binary (for the start action)")
	return cmd
}
