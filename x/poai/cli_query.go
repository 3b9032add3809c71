package poai

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client/cli"
)

// GetQueryCmd is `query poai`.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "poai", Short: "Query Proof of AI: validators, reputation, epoch, flagged txs, params"}
	cmd.AddCommand(poaiValidatorsCmd(), poaiValidatorCmd(), poaiReputationCmd(), poaiEpochCmd(), poaiFlaggedCmd(), poaiParamsCmd())
	return cmd
}

func parseStatus(s string) (Status, error) {
	switch strings.ToLower(s) {
	case "", "all":
		return STATUS_UNSPECIFIED, nil
	case "bonded":
		return STATUS_BONDED, nil
	case "unbonding":
		return STATUS_UNBONDING, nil
	case "unbonded":
		return STATUS_UNBONDED, nil
	}
	return 0, fmt.Errorf("invalid --status %q: want bonded, unbonding, unbonded or all", s)
}

func poaiValidatorsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "validators [--status bonded|unbonding|unbonded]",
		Short:   "List validators (paginated)",
		Example: "  selfchaind query poai validators --status bonded",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			status, err := parseStatus(cli.Settings(cmd).GetString("status"))
			if err != nil {
				return err
			}
			page, err := cli.ReadPageRequest(cmd)
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Validators(cmd.Context(), &QueryValidatorsRequest{Status: status, Pagination: page})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				rows := make([][]any, len(resp.Validators))
				for i, val := range resp.Validators {
					rows[i] = []any{val.OperatorAddress, val.Moniker, val.Status, val.SelfStake, FormatPPM(val.Reputation), val.Jailed, val.ModelName, val.LastModelId}
				}
				cli.Table(w, []string{"operator_address", "moniker", "status", "self_stake", "reputation", "jailed", "model_name", "last_model_id"}, rows)
				cli.PrintNextPage(w, resp.Pagination)
			})
		},
	}
	cmd.Flags().String("status", "all", "only validators with this status")
	cli.AddPageFlags(cmd, DefaultPageLimit, MaxPageLimit)
	return cmd
}

func poaiValidatorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validator <operator-address-or-key>",
		Short: "Show one validator",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Validator(cmd.Context(), &QueryValidatorRequest{OperatorAddress: addr.String()})
			if err != nil {
				return err
			}
			val := resp.Validator
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cli.KV(w, "operator_address", val.OperatorAddress, "moniker", val.Moniker, "consensus_address", fmt.Sprintf("%X", val.ConsensusAddress),
					"consensus_key", cli.Fingerprint(val.ConsensusKey.Type, val.ConsensusKey.Key), "status", val.Status, "self_stake", val.SelfStake,
					"model_name", val.ModelName, "model_hash", hex.EncodeToString(val.ModelHash), "commission", FormatPPM(val.Commission),
					"reputation", FormatPPM(val.Reputation), "agreement_avg", FormatPPM(val.AgreementAvg), "signed_avg", FormatPPM(val.SignedAvg),
					"penalty", FormatPPM(val.Penalty), "missed_blocks", val.MissedBlocks, "jailed", val.Jailed, "jailed_until", val.JailedUntil,
					"tombstoned", val.Tombstoned, "outstanding_rewards", val.OutstandingRewards,
					"last_model_id", val.LastModelId, "last_scored_height", val.LastScoredHeight, "report_lag_blocks", val.ReportLagBlocks)
			})
		},
	}
}

func poaiReputationCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reputation <operator-address-or-key>",
		Short: "Show a validator's reputation history (one entry per epoch, the last 64)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).ReputationHistory(cmd.Context(), &QueryReputationHistoryRequest{OperatorAddress: addr.String()})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				rows := make([][]any, len(resp.Records))
				for i, r := range resp.Records {
					rows[i] = []any{r.Epoch, r.Height, FormatPPM(r.Reputation), FormatPPM(r.AgreementAvg), FormatPPM(r.SignedAvg), FormatPPM(r.Penalty), r.Power}
				}
				cli.Table(w, []string{"epoch", "height", "reputation", "agreement_avg", "signed_avg", "penalty", "power"}, rows)
				if len(rows) == 0 {
					fmt.Fprintln(w, "(history is recorded at each epoch end)")
				}
			})
		},
	}
}

func poaiEpochCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "epoch",
		Short: "Show the current epoch",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Epoch(cmd.Context(), &QueryEpochRequest{})
			if err != nil {
				return err
			}
			e := resp.Epoch
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cli.KV(w, "number", e.Number, "start_height", e.StartHeight, "next_epoch_height", e.NextEpochHeight,
					"total_power", e.TotalPower, "active_validators", e.ActiveValidators, "carried", e.Carried, "last_rewards", e.LastRewards)
			})
		},
	}
}

func poaiFlaggedCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "flagged",
		Short: "List txs the AI risk analysis flagged (paginated, oldest first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := cli.ReadPageRequest(cmd)
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).FlaggedTxs(cmd.Context(), &QueryFlaggedTxsRequest{Pagination: page})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				rows := make([][]any, len(resp.Txs))
				for i, f := range resp.Txs {
					rows[i] = []any{f.Height, f.Index, fmt.Sprintf("%X", f.TxHash), f.Sender, f.Risk, f.RateLimitedUntil}
				}
				cli.Table(w, []string{"height", "index", "tx_hash", "sender", "risk", "rate_limited_until"}, rows)
				cli.PrintNextPage(w, resp.Pagination)
			})
		},
	}
	cli.AddPageFlags(cmd, DefaultPageLimit, MaxPageLimit)
	return cmd
}

func poaiParamsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "params",
		Short: "Show the poai params",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Params(cmd.Context(), &QueryParamsRequest{})
			if err != nil {
				return err
			}
			p := resp.Params
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				pairs := []any{"max_validators", p.MaxValidators, "min_validators", p.MinValidators, "epoch_length", p.EpochLength,
					"min_self_stake", p.MinSelfStake, "bond_denom", p.BondDenom, "flag_threshold", p.FlagThreshold,
					"rate_limit_window", p.RateLimitWindow, "downtime_window", p.DowntimeWindow, "max_missed_blocks", p.MaxMissedBlocks,
					"jail_duration", p.JailDuration, "unbonding_period", p.UnbondingPeriod, "inflation_per_block", p.InflationPerBlock,
					"slash_fraction_double_sign", FormatPPM(p.SlashFractionDoubleSign), "slash_fraction_downtime", FormatPPM(p.SlashFractionDowntime),
					"authority", p.Authority}
				allowed := strings.Join(p.AllowedOperators, ",")
				if allowed == "" {
					allowed = "(any: open admission)"
				}
				pairs = append(pairs, "allowed_operators", allowed)
				cli.KV(w, pairs...)
			})
		},
	}
}

// QueryBondDenom asks --node for x/poai's bond denom: the chain's own token
// (SELF Chain bonds uself; a chain made by constellation bonds its own). The root
// command hands it to the commands of modules that cannot import x/poai, such as
// x/bank's, in the command context (cli.AppInfo.ChainDenom).
func QueryBondDenom(cmd *cobra.Command) (string, error) {
	resp, err := cli.QueryClient(cmd, NewQueryClient).Params(cmd.Context(), &QueryParamsRequest{})
	if err != nil {
		return "", err
	}
	return resp.Params.BondDenom, nil
}
