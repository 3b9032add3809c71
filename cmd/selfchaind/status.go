package main

import (
	"fmt"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

func statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the node's status: ids, latest block, sync state, validator",
		Long: `Show the status of the node at --node (default ` + client.DefaultNode + `).
With --output json, prints CometBFT's /status result (node_info, sync_info, validator_info).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := clientcli.NewClient(cmd)
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			if clientcli.JSONOutput(cmd) {
				bz, err := cmtjson.Marshal(st)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(bz))
				return err
			}
			s, ni, vi := st.SyncInfo, st.NodeInfo, st.ValidatorInfo
			// node_info.version is CometBFT's fallback constant ("0.39.0" in v0.40.0);
			// the app knows the release it was built with.
			cmtVersion, appVersion := ni.Version, ""
			if info, err := c.RPC().ABCIInfo(cmd.Context()); err == nil {
				appVersion = info.Response.Version
				if v := app.CometBFTVersionFromInfo(info.Response.Data); v != "" {
					cmtVersion = v
				}
			}
			clientcli.KV(cmd.OutOrStdout(),
				"node_id", ni.ID(),
				"moniker", ni.Moniker,
				"chain_id", ni.Network,
				"version", appVersion,
				"cometbft_version", cmtVersion,
				"latest_block_height", s.LatestBlockHeight,
				"latest_block_time", s.LatestBlockTime.UTC().Format(time.RFC3339Nano),
				"latest_block_hash", s.LatestBlockHash,
				"latest_app_hash", s.LatestAppHash,
				"catching_up", s.CatchingUp,
				"validator_address", vi.Address,
				"voting_power", vi.VotingPower,
			)
			return nil
		},
	}
}
