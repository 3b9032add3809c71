// Package backup holds the `selfchaind backup` commands: the holder daemon
// (serve) and the backup agent (run, snapshots, verify, restore, forget).
// The pieces live in the subpackages: chunker, wire (the holder protocol),
// holder, repo (the agent's local index), agent and onchain (x/backup as
// the daemon and the agent see it).
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/backup/agent"
	"github.com/selfchain/selfchain/backup/holder"
	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/backup/repo"
	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/registry"
)

const (
	flagFrom       = "from"
	flagListen     = "listen"
	flagNodeID     = "node-id"
	flagDB         = "db"
	flagPoll       = "poll"
	flagAgreements = "agreements"
	flagHolderURL  = "holder-url"
	flagRepo       = "repo"
	flagWorkers    = "workers"
	flagTo         = "to"
	flagFromHolder = "from-holder"
	flagSubset     = "read-data-subset"
	flagRemote     = "remote"
)

// agentMemoryLimit is the agent's default soft memory limit.
const agentMemoryLimit = 160 << 20

// DefaultListen is the holder daemon's default address.
const DefaultListen = "127.0.0.1:26680"

// Command is `selfchaind backup`.
func Command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Encrypted backups to holders you choose (x/backup): the holder daemon and the backup agent",
		Long: `A holder runs 'backup serve'; an owner runs 'backup run' to back a directory up to
the holders of its agreements (see 'tx backup propose'), and 'backup restore' to get it back.
Chunks are sealed to the owner's own encryption key: holders see ciphertext and sizes only.
See docs/BACKUP.md.`,
	}
	clientcli.AddTxFlags(cmd)
	cmd.AddCommand(serveCmd(), runCmd(), snapshotsCmd(), verifyCmd(), restoreCmd(), forgetCmd(), replicateCmd(), repairCmd())
	return cmd
}

func serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve --node-id <id> --from <operator-key>",
		Short: "Run the holder daemon: store owners' chunks, answer storage challenges, export metrics",
		Long: `Serves the holder API on --listen (HTTP; put TLS in front for a public address) for the
agreements of --node-id, stores chunks in its own pebble database (--db), answers the chain's
storage challenges with MsgProveStorage signed by --from (the node's operator account), and
exports Prometheus metrics on /metrics. Only an agreement's owner may store or read its chunks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := clientcli.Settings(cmd)
			nodeID := v.GetString(flagNodeID)
			if nodeID == "" {
				return errors.New("--node-id is required: the holder's node id in x/registry (40 hex digits)")
			}
			policy, err := acceptPolicy(cmd)
			if err != nil {
				return err
			}
			chain, err := nodeChain(cmd, v.GetString(flagFrom), true)
			if err != nil {
				return err
			}
			dbDir := v.GetString(flagDB)
			if dbDir == "" {
				dbDir = filepath.Join(clientcli.HomeDir(cmd), "data", "backup-holder")
			}
			store, err := holder.OpenStore(dbDir)
			if err != nil {
				return fmt.Errorf("opening the holder database %s: %w", dbDir, err)
			}
			defer store.Close()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			srv := holder.NewServer(holder.Config{NodeID: nodeID, Chain: chain, Store: store, Logger: log})
			l, err := net.Listen("tcp", v.GetString(flagListen))
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			poll, err := time.ParseDuration(v.GetString(flagPoll))
			if err != nil || poll <= 0 {
				return fmt.Errorf("invalid --poll %q: want a duration such as 2s", v.GetString(flagPoll))
			}
			go srv.NewProver().Run(ctx, poll)
			if policy != nil {
				log.Info("backup auto-accept on", "min_price", policy.MinPrice.String(), "max_quota", policy.MaxQuota,
					"max_collateral", policy.MaxCollateral.String(), "min_escrow_epochs", policy.MinEscrowEpochs, "min_notice_epochs", policy.MinNoticeEpochs)
				go srv.NewAutoAccepter(chain, *policy).Run(ctx, poll)
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = hs.Shutdown(sctx)
			}()
			log.Info("backup holder listening", "addr", l.Addr().String(), "node_id", nodeID, "db", dbDir)
			fmt.Fprintf(cmd.OutOrStdout(), "backup holder listening on %s\n", l.Addr())
			if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.String(flagListen, DefaultListen, "address of the holder API and /metrics")
	f.String(flagNodeID, "", "this holder's node id in x/registry")
	f.String(flagFrom, "", "key of the node's operator account, which signs storage proofs")
	f.String(flagDB, "", "holder database directory (default <home>/data/backup-holder)")
	f.String(flagPoll, "2s", "how often to look for new challenges (and, with --auto-accept, proposals)")
	acceptFlags(cmd)
	return cmd
}

// nodeChain is x/backup over --node, signing with key from (if given).
func nodeChain(cmd *cobra.Command, from string, needSigner bool) (*onchain.Node, error) {
	v := clientcli.Settings(cmd)
	c, err := clientcli.NewClient(cmd)
	if err != nil {
		return nil, err
	}
	f, err := clientcli.TxFactory(v)
	if err != nil {
		return nil, err
	}
	f.Accounts = clientcli.App(cmd).Accounts
	timeout, err := clientcli.BroadcastTimeout(v)
	if err != nil {
		return nil, err
	}
	n := &onchain.Node{Client: c, Factory: f, Timeout: timeout}
	if from == "" {
		if needSigner {
			return nil, errors.New("--from is required: the key that signs the transactions")
		}
		return n, nil
	}
	kr, err := clientcli.OpenKeyring(cmd)
	if err != nil {
		return nil, err
	}
	if n.Signer, err = client.NewKeyringSigner(kr, from); err != nil {
		return nil, fmt.Errorf("key %q: %w", from, err)
	}
	return n, nil
}

// agentFlags are the flags every agent command shares.
func agentFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String(flagFrom, "", "the owner's key (its account signs requests and transactions; its encryption key seals the chunks)")
	f.String(flagAgreements, "", "comma-separated agreement ids, in the order restore should try their holders")
	f.StringArray(flagHolderURL, nil, "holder address for an agreement, as <agreement>=<url> (default: the holder node's first endpoint in x/registry)")
	f.String(flagRepo, "", "the agent's local index (default <home>/backup/index)")
	f.Int(flagWorkers, 0, "chunks sealed and uploaded (or fetched) at once (default: twice the CPUs, at least 4, for a backup; the CPUs, at least 2, for a restore)")
}

// newAgent builds an agent from the flags; close releases it.
func newAgent(cmd *cobra.Command, needSigner bool) (a *agent.Agent, close func(), err error) {
	v := clientcli.Settings(cmd)
	from := v.GetString(flagFrom)
	if from == "" {
		return nil, nil, errors.New("--from is required: the owner's key")
	}
	// The agent's live memory is a few chunks and the chunk index; a soft
	// limit keeps the garbage of megabyte chunks from piling up between
	// collections (GOMEMLIMIT overrides it).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(agentMemoryLimit)
	}
	chain, err := nodeChain(cmd, from, needSigner)
	if err != nil {
		return nil, nil, err
	}
	kr, err := clientcli.OpenKeyring(cmd)
	if err != nil {
		return nil, nil, err
	}
	rec, err := kr.Get(from)
	if err != nil {
		return nil, nil, fmt.Errorf("key %q: %w", from, err)
	}
	sk, err := kr.SealKey(from)
	if err != nil {
		return nil, nil, err
	}
	keys, err := agent.NewKeys(rec.Address.String(), func(msg []byte) ([]byte, crypto.PubKey, error) { return kr.Sign(from, msg) }, sk)
	if err != nil {
		return nil, nil, err
	}
	r, err := openRepo(cmd)
	if err != nil {
		return nil, nil, err
	}
	a = &agent.Agent{Keys: keys, Repo: r, Chain: chain, Out: cmd.ErrOrStderr(), Workers: v.GetInt(flagWorkers)}
	if a.Targets, err = targets(cmd, chain); err != nil {
		r.Close()
		return nil, nil, err
	}
	return a, func() { r.Close() }, nil
}

// targets resolves --agreements to holder URLs: --holder-url, else the
// holder node's first endpoint in x/registry.
func targets(cmd *cobra.Command, chain onchain.Chain) ([]agent.Target, error) {
	v := clientcli.Settings(cmd)
	urls := map[uint64]string{}
	for _, s := range v.GetStringSlice(flagHolderURL) {
		id, u, ok := strings.Cut(s, "=")
		n, err := strconv.ParseUint(id, 10, 64)
		if !ok || err != nil || u == "" {
			return nil, fmt.Errorf("invalid --holder-url %q: want <agreement>=<url>, e.g. 1=http://127.0.0.1:26680", s)
		}
		urls[n] = u
	}
	var out []agent.Target
	for _, s := range strings.Split(v.GetString(flagAgreements), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid agreement id %q in --agreements", s)
		}
		u := urls[id]
		if u == "" {
			if u, err = registryURL(cmd, chain, id); err != nil {
				return nil, err
			}
		}
		out = append(out, agent.Target{Agreement: id, URL: u})
	}
	if len(out) == 0 {
		return nil, errors.New("--agreements is required: the agreement ids to use (see 'query backup agreements <owner>')")
	}
	return out, nil
}

func registryURL(cmd *cobra.Command, chain onchain.Chain, id uint64) (string, error) {
	a, err := chain.Agreement(cmd.Context(), id)
	if err != nil {
		return "", err
	}
	r, err := clientcli.QueryClient(cmd, registry.NewQueryClient).Node(cmd.Context(), &registry.QueryNodeRequest{NodeId: a.Holder})
	if err != nil {
		return "", fmt.Errorf("holder node %s of agreement %d: %w", a.Holder, id, err)
	}
	if len(r.Node.Node.Endpoints) == 0 {
		return "", fmt.Errorf("holder node %s of agreement %d registers no endpoint: pass --holder-url %d=<url>", a.Holder, id, id)
	}
	ep := r.Node.Node.Endpoints[0]
	if !strings.Contains(ep, "://") {
		ep = "http://" + ep
	}
	return ep, nil
}

func runCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run <dir> --agreements 1,2,3 --from <key>",
		Short: "Back a directory up to the holders of the agreements and commit the new manifest roots",
		Long: `Chunks <dir> (content-defined, ~1 MiB), seals each new chunk to the owner's encryption key,
uploads it to every holder that lacks it (in parallel), stores the sealed snapshot manifest the
same way, then commits each agreement's new manifest root on chain. Unchanged files are not
read again; an interrupted run resumes where it stopped. With --replicas N (and the terms of
'backup repair'), a run that finds fewer than N active agreements then chooses new holders,
proposes, waits for them to accept and copies the backup to them, as 'backup repair' does.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt, err := repairOptions(cmd, false)
			if err != nil {
				return err
			}
			a, done, err := newAgent(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			if opt == nil {
				printWarnings(cmd, a)
			}
			start := time.Now()
			r, err := a.Run(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			secs := time.Since(start).Seconds()
			text := func(w io.Writer) {
				clientcli.KV(w, "snapshot", r.Snapshot.String(), "files", r.Files, "bytes", r.Bytes, "read", r.ReadBytes,
					"new chunks", r.NewChunks, "uploaded", r.UploadedBytes, "committed", len(r.Committed),
					"seconds", fmt.Sprintf("%.1f", secs))
				for _, s := range r.Skipped {
					fmt.Fprintf(w, "skipped: %s\n", s)
				}
			}
			if opt == nil {
				return clientcli.PrintResult(cmd, r, text)
			}
			// --replicas: the snapshot is on the healthy holders; bring
			// their number back up (a no-op when enough are active). One
			// result: the run's fields and the repair's under "Repair".
			rr, rerr := runRepair(cmd, a, opt)
			out := struct {
				*agent.RunResult
				Repair *agent.RepairResult
			}{r, rr}
			return errors.Join(rerr, clientcli.PrintResult(cmd, out, func(w io.Writer) {
				text(w)
				if rr != nil {
					printRepair(w, rr)
				}
			}))
		},
	}
	agentFlags(cmd)
	repairFlags(cmd)
	return cmd
}

func snapshotsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshots --from <key>",
		Short: "List snapshots (from the local index, or with --remote from the holders)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []repo.SnapshotInfo
			if clientcli.Settings(cmd).GetBool(flagRemote) {
				a, done, err := newAgent(cmd, false)
				if err != nil {
					return err
				}
				defer done()
				printWarnings(cmd, a)
				if list, err = a.RemoteSnapshots(cmd.Context()); err != nil {
					return err
				}
			} else { // the local index needs no keys, chain or holders
				warnAgreements(cmd)
				r, err := openRepo(cmd)
				if err != nil {
					return err
				}
				defer r.Close()
				if list, err = r.Snapshots(); err != nil {
					return err
				}
			}
			return clientcli.PrintResult(cmd, list, func(w io.Writer) {
				rows := make([][]any, len(list))
				for i, s := range list {
					var size int64
					for _, f := range s.Snapshot.Files {
						size += f.Size
					}
					rows[i] = []any{s.ID.String()[:16], s.Snapshot.Time.Format(time.RFC3339), s.Snapshot.Source, len(s.Snapshot.Files), size}
				}
				clientcli.Table(w, []string{"ID", "TIME", "SOURCE", "FILES", "BYTES"}, rows)
			})
		},
	}
	agentFlags(cmd)
	cmd.Flags().Bool(flagRemote, false, "list the snapshots stored on the holders (for a machine that lost its index)")
	return cmd
}

func openRepo(cmd *cobra.Command) (*repo.Repo, error) {
	dir := clientcli.Settings(cmd).GetString(flagRepo)
	if dir == "" {
		dir = filepath.Join(clientcli.HomeDir(cmd), "backup", "index")
	}
	return repo.Open(dir)
}

func verifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify --agreements 1,2,3 --from <key> [--read-data-subset 5%]",
		Short: "Check each holder against its on-chain root; download and check a sample of the chunks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			frac, err := parsePercent(clientcli.Settings(cmd).GetString(flagSubset))
			if err != nil {
				return err
			}
			a, done, err := newAgent(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			printWarnings(cmd, a)
			reps, err := a.Verify(cmd.Context(), frac)
			if err != nil {
				return err
			}
			bad := 0
			for _, r := range reps {
				if !r.OK() {
					bad++
				}
			}
			if err := clientcli.PrintResult(cmd, reps, func(w io.Writer) {
				for _, r := range reps {
					clientcli.KV(w, "agreement", r.Agreement, "chunks", r.Chunks, "missing", r.Missing, "sampled", r.Sampled, "bad", len(r.Bad), "error", r.Err)
					for _, b := range r.Bad {
						fmt.Fprintf(w, "  bad: %s\n", b)
					}
				}
			}); err != nil {
				return err
			}
			if bad > 0 {
				return fmt.Errorf("%d of %d holders failed verification: run 'backup run' again to re-upload what they lost", bad, len(reps))
			}
			return nil
		},
	}
	agentFlags(cmd)
	cmd.Flags().String(flagSubset, "0%", "share of the chunks to download and check, e.g. 5% (0%: compare inventories only)")
	return cmd
}

func parsePercent(s string) (float64, error) {
	p, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || p < 0 || p > 100 {
		return 0, fmt.Errorf("invalid --%s %q: want a percentage from 0%% to 100%%", flagSubset, s)
	}
	return p / 100, nil
}

func restoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore <snapshot|latest> --to <dir> --agreements 1,2,3 --from <key>",
		Short: "Restore a snapshot, checking every chunk against the on-chain roots before decrypting it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := clientcli.Settings(cmd)
			to := v.GetString(flagTo)
			if to == "" {
				return errors.New("--to is required: the directory to restore into")
			}
			a, done, err := newAgent(cmd, false)
			if err != nil {
				return err
			}
			defer done()
			if fh := v.GetUint64(flagFromHolder); fh != 0 {
				i := -1
				for j, t := range a.Targets {
					if t.Agreement == fh {
						i = j
					}
				}
				if i < 0 {
					return fmt.Errorf("--from-holder %d is not one of --agreements", fh)
				}
				a.Targets[0], a.Targets[i] = a.Targets[i], a.Targets[0]
			}
			start := time.Now()
			r, err := a.Restore(cmd.Context(), args[0], to)
			if err != nil {
				return err
			}
			return clientcli.PrintResult(cmd, r, func(w io.Writer) {
				clientcli.KV(w, "snapshot", r.Snapshot.String(), "files", r.Files, "bytes", r.Bytes, "seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
			})
		},
	}
	agentFlags(cmd)
	cmd.Flags().String(flagTo, "", "directory to restore into (created if missing)")
	cmd.Flags().Uint64(flagFromHolder, 0, "agreement whose holder to try first")
	return cmd
}

func forgetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "forget <snapshot> --agreements 1,2,3 --from <key>",
		Short: "Drop a snapshot: chunks no other snapshot uses leave the next committed manifest",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, done, err := newAgent(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			id, err := a.Forget(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "forgot snapshot %s\n", id)
			return nil
		},
	}
	agentFlags(cmd)
	return cmd
}
