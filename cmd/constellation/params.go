package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/x/poai"
)

// paramsCmd shows x/poai's params of a running chain and, in authority mode,
// changes them with the chain's admin key (MsgUpdateParams).
func paramsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "params <chain> [--max-validators N] [--min-self-stake X] [--epoch-length N] [--inflation-per-block X]",
		Short: "Show x/poai's params of a running chain; in authority mode, change them with the admin key",
		Long: `Without flags, prints x/poai's params as the chain's node answers them.

With flags (authority mode only), sends MsgUpdateParams signed by the "admin"
key in the chain's client keyring and waits for its block. Raise
--max-validators before a new validator's create-validator so it can join the
active set at the next epoch end (docs/CONSTELLATION.md).`,
		Example: `  constellation params acme
  constellation params acme --max-validators 5`,
		Args: cobra.ExactArgs(1),
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
			ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
			defer cancel()
			var p poai.Params
			if f.Changed("max-validators") || f.Changed("min-self-stake") || f.Changed("epoch-length") || f.Changed("inflation-per-block") {
				maxVals, _ := f.GetUint32("max-validators")
				minStake, _ := f.GetUint64("min-self-stake")
				epoch, _ := f.GetInt64("epoch-length")
				inflation, _ := f.GetUint64("inflation-per-block")
				p, err = chain.UpdatePoAIParams(ctx, func(p *poai.Params) {
					if f.Changed("max-validators") {
						p.MaxValidators = maxVals
					}
					if f.Changed("min-self-stake") {
						p.MinSelfStake = minStake
					}
					if f.Changed("epoch-length") {
						p.EpochLength = epoch
					}
					if f.Changed("inflation-per-block") {
						p.InflationPerBlock = inflation
					}
				})
			} else {
				p, err = chain.PoAIParams(ctx)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), p)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "x/poai params of %s (%s mode)\n", chain.Spec.ChainID, chain.Spec.PoAIMode)
			fmt.Fprintf(w, "bond_denom           %s\n", p.BondDenom)
			fmt.Fprintf(w, "max_validators       %d\n", p.MaxValidators)
			fmt.Fprintf(w, "min_validators       %d\n", p.MinValidators)
			fmt.Fprintf(w, "min_self_stake       %d%s\n", p.MinSelfStake, p.BondDenom)
			fmt.Fprintf(w, "epoch_length         %d blocks\n", p.EpochLength)
			fmt.Fprintf(w, "inflation_per_block  %d%s\n", p.InflationPerBlock, p.BondDenom)
			fmt.Fprintf(w, "authority            %s\n", p.Authority)
			return nil
		},
	}
	f := cmd.Flags()
	f.Uint32("max-validators", 0, "size of the active set")
	f.Uint64("min-self-stake", 0, "least self-stake of a validator, in the base denom")
	f.Int64("epoch-length", 0, "blocks per epoch (the set changes at epoch ends)")
	f.Uint64("inflation-per-block", 0, "base units minted per block as validator rewards")
	addOutputFlag(cmd)
	return cmd
}
