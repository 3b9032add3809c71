package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/poai"
)

// PoAI query paths (answered by the app over abci_query).
const (
	pathPoaiValidators = "/selfchain.poai.v1.Query/Validators"
	pathPoaiValidator  = "/selfchain.poai.v1.Query/Validator"
	pathPoaiReputation = "/selfchain.poai.v1.Query/ReputationHistory"
	pathPoaiEpoch      = "/selfchain.poai.v1.Query/Epoch"
	pathPoaiFlagged    = "/selfchain.poai.v1.Query/FlaggedTxs"
	pathPoaiParams     = "/selfchain.poai.v1.Query/Params"
)

func poaiTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "poai", Short: "Proof of AI: validators, stake, jail, rewards"}
	cmd.AddCommand(poaiCreateValidatorCmd(), poaiEditValidatorCmd(), poaiBondCmd(), poaiUnbondCmd(),
		poaiUnjailCmd(), poaiWithdrawCmd())
	return cmd
}

// parseCommission reads a commission as a decimal fraction ("0.05") or percent
// ("5%") into parts per million, without floating point.
func parseCommission(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	scale := uint64(poai.PPM)
	if strings.HasSuffix(s, "%") {
		s, scale = strings.TrimSuffix(s, "%"), poai.PPM/100
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseUint(whole, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid commission %q: want a fraction like 0.05 or a percentage like 5%%", s)
	}
	v := w * scale
	for i, div := 0, scale/10; i < len(frac); i, div = i+1, div/10 {
		d := frac[i]
		if d < '0' || d > '9' || (div == 0 && d != '0') {
			return 0, fmt.Errorf("invalid commission %q: at most 6 decimal places of a fraction", s)
		}
		v += uint64(d-'0') * div
	}
	if v > poai.PPM {
		return 0, fmt.Errorf("commission %q is above 100%%", s)
	}
	return uint32(v), nil
}

func parseModelHash(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil || len(b) != poai.ModelHashLen {
		return nil, fmt.Errorf("invalid --model-hash: want %d bytes as hex (e.g. `sha256sum model.gguf`)", poai.ModelHashLen)
	}
	return b, nil
}

func parseStake(s string) (types.Coin, error) {
	coins, err := parseAmount(s)
	if err != nil {
		return types.Coin{}, err
	}
	if len(coins) != 1 {
		return types.Coin{}, fmt.Errorf("invalid amount %q: want one coin, e.g. 1000000uself", s)
	}
	return coins[0], nil
}

func poaiCreateValidatorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create-validator <operator-key> <self-stake> --model-name NAME --model-hash HEX",
		Short: "Register this node as a validator candidate; it joins the active set at an epoch end",
		Long: `Register a validator: the operator key signs and pays the self-stake; the
consensus key is read from --pubkey (JSON, a priv_validator_key.json, or a node
home), by default from this --home's config/priv_validator_key.json.`,
		Example: `  selfchaind tx poai create-validator alice 10000000uself --model-name builtin-stat-v1 \
      --model-hash $(sha256sum model.bin | cut -c1-64) --commission 0.05 --moniker val1 --wait`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := settings(cmd)
			stake, err := parseStake(args[1])
			if err != nil {
				return err
			}
			pkArg := v.GetString("pubkey")
			if pkArg == "" {
				pkArg = homeDir(cmd)
			}
			pub, err := server.ParseValidatorPubKey(pkArg)
			if err != nil {
				return err
			}
			hash, err := parseModelHash(v.GetString("model-hash"))
			if err != nil {
				return err
			}
			commission, err := parseCommission(v.GetString("commission"))
			if err != nil {
				return err
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&poai.MsgCreateValidator{
					OperatorAddress: from.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(pub), SelfStake: stake,
					ModelName: v.GetString("model-name"), ModelHash: hash, Commission: commission, Moniker: v.GetString("moniker"),
				}}, nil
			})
		},
	}
	cmd.Flags().String("pubkey", "", "consensus public key: JSON, a priv_validator_key.json path, or a node home (default: --home)")
	cmd.Flags().String("model-name", "builtin-stat-v1", "the AI model this validator runs")
	cmd.Flags().String("model-hash", "", "sha256 of the model, hex (32 bytes)")
	cmd.Flags().String("commission", "0.1", "commission: a fraction (0.05) or a percentage (5%)")
	cmd.Flags().String("moniker", "", "a name for the validator")
	return cmd
}

func poaiEditValidatorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "edit-validator <operator-key> [--commission C] [--model-name N] [--model-hash HEX] [--moniker M]",
		Short:   "Change a validator's commission, AI model or moniker",
		Example: `  selfchaind tx poai edit-validator alice --commission 5% --model-name llama-3-8b --model-hash <hex>`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := settings(cmd)
			hash, err := parseModelHash(v.GetString("model-hash"))
			if err != nil {
				return err
			}
			commission, err := parseCommission(v.GetString("commission"))
			if err != nil {
				return err
			}
			keep := !cmd.Flags().Changed("commission")
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				if keep { // the message always sets commission: resend the current one
					var resp poai.QueryValidatorResponse
					if err := queryOnce(cmd, pathPoaiValidator, &poai.QueryValidatorRequest{OperatorAddress: from.String()}, &resp); err != nil {
						return nil, err
					}
					commission = resp.Validator.Commission
				}
				return []runtime.Msg{&poai.MsgEditValidator{OperatorAddress: from.String(), ModelName: v.GetString("model-name"),
					ModelHash: hash, Commission: commission, Moniker: v.GetString("moniker")}}, nil
			})
		},
	}
	cmd.Flags().String("model-name", "", "new model name (empty keeps it)")
	cmd.Flags().String("model-hash", "", "new model sha256, hex (empty keeps it)")
	cmd.Flags().String("commission", "", "new commission: a fraction (0.05) or a percentage (5%) (empty keeps it)")
	cmd.Flags().String("moniker", "", "new moniker (empty keeps it)")
	return cmd
}

func poaiBondCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "bond <operator-key> <amount>",
		Short:   "Add self-stake to a validator (power follows at the next epoch end)",
		Example: `  selfchaind tx poai bond alice 5000000uself --wait`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			amt, err := parseStake(args[1])
			if err != nil {
				return err
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&poai.MsgBond{OperatorAddress: from.String(), Amount: amt}}, nil
			})
		},
	}
}

func poaiUnbondCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "unbond <operator-key> <amount>",
		Short:   "Start unbonding self-stake; it is paid back after the unbonding period",
		Example: `  selfchaind tx poai unbond alice 5000000uself --wait`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			amt, err := parseStake(args[1])
			if err != nil {
				return err
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&poai.MsgUnbond{OperatorAddress: from.String(), Amount: amt}}, nil
			})
		},
	}
}

func poaiUnjailCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unjail <operator-key>",
		Short: "Leave jail after a downtime jail ended; the validator rejoins at the next epoch end",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&poai.MsgUnjail{OperatorAddress: from.String()}}, nil
			})
		},
	}
}

func poaiWithdrawCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "withdraw-rewards <operator-key>",
		Short: "Pay a validator's outstanding rewards to its operator",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&poai.MsgWithdrawRewards{OperatorAddress: from.String()}}, nil
			})
		},
	}
}

func poaiQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "poai", Short: "Query Proof of AI: validators, reputation, epoch, flagged txs, params"}
	cmd.AddCommand(poaiValidatorsCmd(), poaiValidatorCmd(), poaiReputationCmd(), poaiEpochCmd(), poaiFlaggedCmd(), poaiParamsCmd())
	return cmd
}

func parseStatus(s string) (poai.Status, error) {
	switch strings.ToLower(s) {
	case "", "all":
		return poai.STATUS_UNSPECIFIED, nil
	case "bonded":
		return poai.STATUS_BONDED, nil
	case "unbonding":
		return poai.STATUS_UNBONDING, nil
	case "unbonded":
		return poai.STATUS_UNBONDED, nil
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
			status, err := parseStatus(settings(cmd).GetString("status"))
			if err != nil {
				return err
			}
			page, err := pageRequest(cmd)
			if err != nil {
				return err
			}
			var resp poai.QueryValidatorsResponse
			if err := queryOnce(cmd, pathPoaiValidators, &poai.QueryValidatorsRequest{Status: status, Pagination: page}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				if len(resp.Validators) == 0 {
					fmt.Fprintln(w, "(no validators)")
				}
				for _, val := range resp.Validators {
					fmt.Fprintf(w, "%s  %-9s stake=%d reputation=%s jailed=%t model=%s %s\n", val.OperatorAddress,
						strings.TrimPrefix(val.Status.String(), "STATUS_"), val.SelfStake, ppm(val.Reputation), val.Jailed, val.ModelName, val.Moniker)
				}
				printNextPage(w, resp.Pagination)
			})
		},
	}
	cmd.Flags().String("status", "all", "only validators with this status")
	addPageFlags(cmd, poai.DefaultPageLimit, poai.MaxPageLimit)
	return cmd
}

// ppm shows a parts-per-million value as a decimal fraction.
func ppm(v uint32) string { return fmt.Sprintf("%d.%06d", v/poai.PPM, v%poai.PPM) }

func poaiValidatorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validator <operator-address-or-key>",
		Short: "Show one validator",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			var resp poai.QueryValidatorResponse
			if err := queryOnce(cmd, pathPoaiValidator, &poai.QueryValidatorRequest{OperatorAddress: addr.String()}, &resp); err != nil {
				return err
			}
			val := resp.Validator
			return printResult(cmd, &resp, func(w io.Writer) {
				kv(w, "operator", val.OperatorAddress, "moniker", val.Moniker, "consensus_address", fmt.Sprintf("%X", val.ConsensusAddress),
					"consensus_key_type", val.ConsensusKey.Type, "status", val.Status.String(), "self_stake", val.SelfStake,
					"model", val.ModelName, "model_hash", hex.EncodeToString(val.ModelHash), "commission", ppm(val.Commission),
					"reputation", ppm(val.Reputation), "agreement_avg", ppm(val.AgreementAvg), "signed_avg", ppm(val.SignedAvg),
					"penalty", ppm(val.Penalty), "missed_blocks", val.MissedBlocks, "jailed", val.Jailed, "jailed_until", val.JailedUntil,
					"tombstoned", val.Tombstoned, "outstanding_rewards", val.OutstandingRewards)
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
			addr, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			var resp poai.QueryReputationHistoryResponse
			if err := queryOnce(cmd, pathPoaiReputation, &poai.QueryReputationHistoryRequest{OperatorAddress: addr.String()}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				if len(resp.Records) == 0 {
					fmt.Fprintln(w, "(no history yet: recorded at each epoch end)")
				}
				for _, r := range resp.Records {
					fmt.Fprintf(w, "epoch %d height %d reputation=%s agreement=%s signed=%s penalty=%s power=%d\n",
						r.Epoch, r.Height, ppm(r.Reputation), ppm(r.AgreementAvg), ppm(r.SignedAvg), ppm(r.Penalty), r.Power)
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
			var resp poai.QueryEpochResponse
			if err := queryOnce(cmd, pathPoaiEpoch, &poai.QueryEpochRequest{}, &resp); err != nil {
				return err
			}
			e := resp.Epoch
			return printResult(cmd, &resp, func(w io.Writer) {
				kv(w, "number", e.Number, "start_height", e.StartHeight, "next_epoch_height", e.NextEpochHeight,
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
			page, err := pageRequest(cmd)
			if err != nil {
				return err
			}
			var resp poai.QueryFlaggedTxsResponse
			if err := queryOnce(cmd, pathPoaiFlagged, &poai.QueryFlaggedTxsRequest{Pagination: page}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				if len(resp.Txs) == 0 {
					fmt.Fprintln(w, "(no flagged txs)")
				}
				for _, f := range resp.Txs {
					fmt.Fprintf(w, "height %d index %d tx %X sender %s risk %d rate-limited until %d\n",
						f.Height, f.Index, f.TxHash, f.Sender, f.Risk, f.RateLimitedUntil)
				}
				printNextPage(w, resp.Pagination)
			})
		},
	}
	addPageFlags(cmd, poai.DefaultPageLimit, poai.MaxPageLimit)
	return cmd
}

func poaiParamsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "params",
		Short: "Show the poai params",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp poai.QueryParamsResponse
			if err := queryOnce(cmd, pathPoaiParams, &poai.QueryParamsRequest{}, &resp); err != nil {
				return err
			}
			p := resp.Params
			return printResult(cmd, &resp, func(w io.Writer) {
				pairs := []any{"max_validators", p.MaxValidators, "min_validators", p.MinValidators, "epoch_length", p.EpochLength,
					"min_self_stake", p.MinSelfStake, "bond_denom", p.BondDenom, "flag_threshold", p.FlagThreshold,
					"rate_limit_window", p.RateLimitWindow, "downtime_window", p.DowntimeWindow, "max_missed_blocks", p.MaxMissedBlocks,
					"jail_duration", p.JailDuration, "unbonding_period", p.UnbondingPeriod, "inflation_per_block", p.InflationPerBlock,
					"slash_fraction_double_sign", ppm(p.SlashFractionDoubleSign), "slash_fraction_downtime", ppm(p.SlashFractionDowntime),
					"authority", p.Authority}
				if len(p.AllowedOperators) == 0 {
					pairs = append(pairs, "allowed_operators", "any (open admission)")
				}
				for _, op := range p.AllowedOperators {
					pairs = append(pairs, "allowed_operator", op)
				}
				kv(w, pairs...)
			})
		},
	}
}
