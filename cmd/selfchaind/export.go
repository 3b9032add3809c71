package main

import (
	"fmt"
	"os"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/spf13/cobra"

	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/server"
)

const (
	flagHeight         = "height"
	flagOutputDocument = "output-document"
	flagNewChainID     = "new-chain-id"
	flagInitialHeight  = "initial-height"
)

func exportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export [--height H] [--output-document F]",
		Short: "Write a genesis built from the stopped node's state at a height",
		Long: `Export the state of the node in --home, committed at --height (default: the
latest), as a genesis.json a new chain starts from: every module's app_state
section, CometBFT's validator set and consensus params after that height, and
that block's time as genesis_time. The new chain's initial_height is the
height + 1 (heights recorded in the state keep their meaning), or
--initial-height. The same state always exports the same bytes.

The node must be stopped (a running node holds the database). A pruning node
keeps only recent heights. With --new-chain-id the validators' proofs of
possession, which name the chain id, must be signed again: each validator runs
'selfchaind comet key-proof <operator> --chain-id <new>' and its
consensus_key_proof in app_state.poai.validators is replaced (see
docs/OPERATIONS.md, "Export").`,
		Example: `  selfchaind export --home ./.devnet > state.json
  selfchaind export --height 1200 --output-document genesis.json
  selfchaind export --new-chain-id selfchain-2 --initial-height 1 --output-document genesis.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := clientcli.Settings(cmd)
			f := cmd.Flags()
			height, _ := f.GetInt64(flagHeight)
			initial, _ := f.GetInt64(flagInitialHeight)
			chainID, _ := f.GetString(flagNewChainID)
			out, _ := f.GetString(flagOutputDocument)
			if height < 0 || initial < 0 {
				return fmt.Errorf("--%s and --%s must not be negative", flagHeight, flagInitialHeight)
			}
			exp, err := server.Export(v.GetString(clientcli.FlagHome), server.ExportOptions{Height: height, ChainID: chainID, InitialHeight: initial})
			if err != nil {
				return err
			}
			gen := exp.Genesis
			bz, err := cmtjson.MarshalIndent(gen, "", "  ")
			if err != nil {
				return err
			}
			bz = append(bz, '\n')
			if out == "" {
				_, err = cmd.OutOrStdout().Write(bz)
			} else {
				err = os.WriteFile(out, bz, 0o644)
			}
			if err != nil {
				return err
			}
			// On stderr, so stdout stays the genesis: what to check the export against
			// (the header of block height+1 carries this app hash).
			fmt.Fprintf(cmd.ErrOrStderr(), "exported height %d, app hash %X: chain %s, initial height %d\n", exp.Height, exp.AppHash, gen.ChainID, gen.InitialHeight)
			if exp.Invalid != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: the genesis does not validate yet: %v\n"+
					"a validator without a proof of possession for chain %s signs one ('selfchaind comet key-proof <operator> --chain-id %s'), which replaces its consensus_key_proof in app_state.poai.validators; then 'selfchaind genesis validate'\n",
					exp.Invalid, gen.ChainID, gen.ChainID)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Int64(flagHeight, 0, "height to export (default: the latest committed)")
	f.String(flagOutputDocument, "", "write the genesis to this file instead of stdout")
	f.String(flagNewChainID, "", "chain id of the new chain (default: the source's)")
	f.Int64(flagInitialHeight, 0, "initial height of the new chain (default: the exported height + 1)")
	return cmd
}

func rollbackCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollback [--hard]",
		Short: "Move the stopped node's application and CometBFT state back one height",
		Long: `Roll the node in --home back one height: CometBFT's state and the application
state both go from height H to H-1, so on restart the node executes block H
again (after an upgrade that committed a wrong state, say). Nothing else is
changed if the application cannot follow (nothing before H is kept).

--hard also deletes block H from the block store: the node then gets it from
its peers again. A validator that signed H must not use --hard alone: its
priv_validator_state.json still records H, and it refuses to sign H again.`,
		Example: `  selfchaind rollback --home ./.devnet
  selfchaind rollback --hard`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			hard, _ := cmd.Flags().GetBool("hard")
			res, err := server.Rollback(clientcli.Settings(cmd).GetString(clientcli.FlagHome), hard)
			if err != nil {
				return err
			}
			if clientcli.JSONOutput(cmd) {
				bz, err := clientcli.MarshalJSON(map[string]any{
					"height": fmt.Sprint(res.Height), "app_hash": res.AppHash, "block_removed": res.BlockRemoved,
				})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(bz))
				return err
			}
			clientcli.KV(cmd.OutOrStdout(), "height", res.Height, "app_hash", fmt.Sprintf("%X", res.AppHash), "block_removed", res.BlockRemoved)
			return nil
		},
	}
	cmd.Flags().Bool("hard", false, "also delete the rolled-back block from the block store")
	return cmd
}
