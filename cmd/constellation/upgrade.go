package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/constellation"
)

// upgradeCmd runs a software upgrade of a running chain end to end.
func upgradeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upgrade <chain> --binary <path> --height <H|+N> [--name NAME] [--info TEXT]",
		Short: "Upgrade a running chain to a new selfchaind: plan, halt, swap binaries, verify",
		Long: `Stages the new release under <chain>/upgrades/<name>/selfchaind, plans the
upgrade with the chain's upgrade authority key (the admin in authority mode,
else node0's operator), waits while every node halts at the height (exit code 3)
and the supervisor restarts it on the release, and checks that every node goes
past the height with the same app hash. The plan's name is the release's one
upgrade handler the chain has not applied (selfchaind version --long lists
them), or --name. Later 'constellation up' runs start the release.`,
		Example: `  constellation upgrade acme --binary ./build/selfchaind-v2 --height +50`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := outputJSON(cmd)
			if err != nil {
				return err
			}
			chain, err := openChain(cmd, args[0])
			if err != nil {
				return err
			}
			f := cmd.Flags()
			var o constellation.UpgradeOptions
			o.Binary, _ = f.GetString("binary")
			o.Height, _ = f.GetString("height")
			o.Name, _ = f.GetString("name")
			o.Info, _ = f.GetString("info")
			o.Timeout, _ = f.GetDuration("timeout")
			if o.Binary == "" || o.Height == "" {
				return fmt.Errorf("--binary and --height are required")
			}
			if !asJSON {
				o.Progress = cmd.ErrOrStderr()
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), o.Timeout+time.Minute)
			defer cancel()
			res, err := chain.Upgrade(ctx, o)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), res)
			}
			w := cmd.OutOrStdout()
			for _, kv := range [][2]any{{"name", res.Name}, {"height", res.Height}, {"binary", res.Binary}, {"reached_height", res.Reached}, {"app_hash", res.AppHash}} {
				fmt.Fprintf(w, "%-15s %v\n", kv[0].(string)+":", kv[1])
			}
			return nil
		},
	}
	cmd.Flags().String("binary", "", "the new selfchaind release")
	cmd.Flags().String("height", "", "upgrade height: a block height or +N blocks from now")
	cmd.Flags().String("name", "", "plan name (default: the release's only handler not yet applied)")
	cmd.Flags().String("info", "", "plan info for operators")
	cmd.Flags().Duration("timeout", 5*time.Minute, "how long to wait for the halt and the blocks after it")
	addOutputFlag(cmd)
	return cmd
}
