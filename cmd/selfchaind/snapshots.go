package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/snapshots"
	"github.com/selfchain/selfchain/app/store"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/server"
)

// snapshotsCmd manages the state-sync snapshots of a home (<home>/data/snapshots).
func snapshotsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshots",
		Short: "Manage this home's state-sync snapshots: list, export, dump, load, restore",
		Long: `The node takes snapshots every app.toml state-sync.snapshot-interval blocks into
<home>/data/snapshots and serves them to nodes joining by state sync. These commands
work on that directory; export opens the node's state, so stop the node first.`,
	}
	cmd.AddCommand(snapshotsListCmd(), snapshotsExportCmd(), snapshotsDumpCmd(), snapshotsLoadCmd(), snapshotsRestoreCmd())
	return cmd
}

// snapshotInfo is one snapshot as list prints it.
type snapshotInfo struct {
	Height    int64  `json:"height"`
	Format    uint32 `json:"format"`
	Chunks    int    `json:"chunks"`
	Hash      string `json:"hash"`
	ChainID   string `json:"chain_id"`
	BlockTime string `json:"block_time"`
}

func infoOf(m snapshots.Metadata) snapshotInfo {
	return snapshotInfo{
		Height: m.Height, Format: snapshots.Format, Chunks: len(m.ChunkHashes),
		Hash: fmt.Sprintf("%X", m.Hash()), ChainID: m.ChainID,
		BlockTime: time.Unix(0, m.BlockTime).UTC().Format(time.RFC3339Nano),
	}
}

func homeSnapshots(cmd *cobra.Command) (*snapshots.Files, error) {
	conf, err := server.LoadCometConfig(clientcli.HomeDir(cmd), nil)
	if err != nil {
		return nil, err
	}
	return snapshots.NewFiles(server.SnapshotDir(conf)), nil
}

func printSnapshot(cmd *cobra.Command, verb string, m snapshots.Metadata) error {
	info := infoOf(m)
	return clientcli.PrintResult(cmd, info, func(w io.Writer) {
		fmt.Fprintf(w, "%s snapshot of height %d (%d chunks, hash %s)\n", verb, info.Height, info.Chunks, info.Hash)
	})
}

func snapshotsListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the snapshots kept in <home>/data/snapshots, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := homeSnapshots(cmd)
			if err != nil {
				return err
			}
			hs, err := files.Heights()
			if err != nil {
				return err
			}
			list := []snapshotInfo{}
			for _, h := range hs {
				m, err := files.Metadata(h)
				if err != nil {
					return err
				}
				list = append(list, infoOf(m))
			}
			return clientcli.PrintResult(cmd, list, func(w io.Writer) {
				if len(list) == 0 {
					fmt.Fprintf(w, "no snapshots in %s\n", files.Dir())
				}
				for _, s := range list {
					fmt.Fprintf(w, "height %d  format %d  chunks %d  hash %s  block time %s\n", s.Height, s.Format, s.Chunks, s.Hash, s.BlockTime)
				}
			})
		},
	}
}

func snapshotsExportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "export",
		Short: "Take a snapshot of the stopped node's last committed state now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store.ExportYield = false // no blocks to make room for: export at full speed
			a, closeApp, err := server.OpenApp(clientcli.HomeDir(cmd))
			if err != nil {
				return err
			}
			m, err := a.TakeSnapshot(cmd.Context())
			if cerr := closeApp(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			return printSnapshot(cmd, "took", m)
		},
	}
}

func snapshotsDumpCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "dump <height> [--out file.tar]",
		Short:   "Write a snapshot as a tar archive (stdout unless --out)",
		Example: `  selfchaind snapshots dump 12000 --out snapshot-12000.tar`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || h <= 0 {
				return fmt.Errorf("height %q: want a positive block height (see snapshots list)", args[0])
			}
			files, err := homeSnapshots(cmd)
			if err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString("out")
			if out == "" {
				w := bufio.NewWriter(cmd.OutOrStdout())
				if _, err := files.Dump(h, w); err != nil {
					return err
				}
				return w.Flush()
			}
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			m, err := files.Dump(h, f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				_ = os.Remove(out)
				return err
			}
			return printSnapshot(cmd, "dumped", m)
		},
	}
	cmd.Flags().String("out", "", "archive file to write (default: stdout)")
	return cmd
}

func snapshotsLoadCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "load <file.tar>",
		Short:   "Add a snapshot from a tar archive made by dump (each chunk checked against its hash)",
		Example: `  selfchaind snapshots load snapshot-12000.tar`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := homeSnapshots(cmd)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			m, err := files.Load(bufio.NewReader(f))
			if err != nil {
				return err
			}
			return printSnapshot(cmd, "loaded", m)
		},
	}
}

func snapshotsRestoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore <height> --state-sync.rpc-servers a,b --trust-height H --trust-hash X",
		Short: "Start an empty home from one of its snapshots (offline state sync); then run start",
		Long: `Restores the application state of a fresh home (selfchaind init plus the chain's
genesis) from a snapshot in <home>/data/snapshots (taken by a node, or added with
snapshots load), and bootstraps CometBFT's state at that height. The snapshot's app hash
is checked against a light client of the chain (two RPC servers and a trusted height
and hash, as for state sync), so a snapshot from anyone is safe to restore. start then
block-syncs from the next height.`,
		Example: `  selfchaind snapshots load snapshot-12000.tar
  selfchaind snapshots restore 12000 --state-sync.rpc-servers 10.0.0.1:26657,10.0.0.2:26657 --trust-height 11000 --trust-hash 3F1A...
  selfchaind start`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || h <= 0 {
				return fmt.Errorf("height %q: want a positive block height (see snapshots list)", args[0])
			}
			v := clientcli.Settings(cmd)
			overrides := map[string]any{}
			stateSyncOverrides(v, overrides)
			logger, err := server.NewLogger(cmd.ErrOrStderr(), "plain", "light:error,*:info")
			if err != nil {
				return err
			}
			if err := server.RestoreLocalSnapshot(cmd.Context(), clientcli.HomeDir(cmd), h, overrides, logger); err != nil {
				return err
			}
			return clientcli.PrintResult(cmd, map[string]int64{"height": h}, func(w io.Writer) {
				fmt.Fprintf(w, "restored height %d: run `selfchaind start` to block-sync from height %d\n", h, h+1)
			})
		},
	}
	for _, s := range stateSyncCometKeys[:4] {
		cmd.Flags().String(s.flag, "", s.usage)
	}
	return cmd
}
