package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client/cli"

	"github.com/selfchain/selfchain/x/poai"
)

// paramsCmd shows x/poai's params of a running chain and, in authority mode,
// changes them with the chain's admin key (MsgUpdateParams).
func paramsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "params <chain> [--max-validators N] [--min-self-stake X] [--epoch-length N] [--inflation-per-block X] [--allow-operator ADDR]...",
		Short: "Show x/poai's params of a running chain; in authority mode, change them with the admin key",
		Long: `Without flags, prints x/poai's params as the chain's node answers them.

With flags (authority mode only), sends MsgUpdateParams signed by the "admin"
key in the chain's client keyring and waits for its block. An authority-mode
chain admits only the operators on x/poai's allowed_operators (the genesis
operators at first): --allow-operator adds one (repeatable), and
--max-validators makes room for it in the active set, before the new
validator's create-validator; it joins at the next epoch end
(docs/CONSTELLATION.md).`,
		Example: `  constellation params acme
  constellation params acme --allow-operator acme1... --max-validators 5`,
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
			admit, _ := f.GetStringArray("allow-operator")
			if f.Changed("max-validators") || f.Changed("min-self-stake") || f.Changed("epoch-length") || f.Changed("inflation-per-block") || len(admit) > 0 {
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
					p.AllowedOperators = addOperators(p.AllowedOperators, admit)
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
			// Text follows the CLI's convention (docs/CLI.md, Output): the JSON field
			// names as aligned key: value lines.
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "x/poai params of %s (%s mode)\n", chain.Spec.ChainID, chain.Spec.PoAIMode)
			ops := "none (open admission)"
			if len(p.AllowedOperators) > 0 {
				ops = strings.Join(p.AllowedOperators, ", ")
			}
			cli.KV(w, "bond_denom", p.BondDenom, "max_validators", p.MaxValidators, "min_validators", p.MinValidators,
				"min_self_stake", p.MinSelfStake, "epoch_length", p.EpochLength, "inflation_per_block", p.InflationPerBlock,
				"authority", p.Authority, "allowed_operators", ops)
			return nil
		},
	}
	f := cmd.Flags()
	f.Uint32("max-validators", 0, "size of the active set")
	f.Uint64("min-self-stake", 0, "least self-stake of a validator, in the base denom")
	f.Int64("epoch-length", 0, "blocks per epoch (the set changes at epoch ends)")
	f.Uint64("inflation-per-block", 0, "base units minted per block as validator rewards")
	f.StringArray("allow-operator", nil, "admit this operator address to create a validator (repeatable; added to allowed_operators)")
	addOutputFlag(cmd)
	return cmd
}

// addOperators appends each address of add not already on list (in the order
// given). An empty list means open admission, so admitting one operator to an
// open chain would close it to everyone else: x/poai's validation then demands
// every registered operator on the list, and the update is refused naming the
// first one left out.
func addOperators(list, add []string) []string {
	out := append([]string(nil), list...)
	for _, a := range add {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
