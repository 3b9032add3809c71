package bridge

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client/cli"
)

// GetQueryCmd is `query bridge`.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bridge", Short: "Query light clients, packets and voucher denoms"}
	cmd.AddCommand(clientsQueryCmd(), clientQueryCmd(), consensusStateQueryCmd(), packetQueryCmd(), pendingQueryCmd(), denomQueryCmd(), paramsQueryCmd())
	return cmd
}

func clientsQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "clients",
		Short: "List light clients: counterparty chain, latest height, status, expiry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Clients(cmd.Context(), &QueryClientsRequest{})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				rows := make([][]any, len(resp.Clients))
				for i, c := range resp.Clients {
					rows[i] = []any{c.Client.ClientId, c.Client.ChainId, c.Client.CounterpartyClientId, c.Client.LatestHeight, c.Status, unixTime(c.ExpiresAt)}
				}
				cli.Table(w, []string{"client_id", "chain_id", "counterparty_client_id", "latest_height", "status", "expires_at"}, rows)
			})
		},
	}
}

// unixTime and unixNanos render chain times as RFC 3339 UTC in text (docs/CLI.md).
func unixTime(s int64) string   { return time.Unix(s, 0).UTC().Format(time.RFC3339) }
func unixNanos(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

func clientQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "client <client-id>",
		Short: "Query one light client: its chain, parameters, latest verified header and status",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Client(cmd.Context(), &QueryClientRequest{ClientId: args[0]})
			if err != nil {
				return err
			}
			c, cs := resp.Client.Client, resp.Client.LatestConsensusState
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cli.KV(w, "client_id", c.ClientId, "chain_id", c.ChainId, "counterparty_client_id", c.CounterpartyClientId,
					"status", resp.Client.Status, "latest_height", c.LatestHeight, "frozen_height", c.FrozenHeight,
					"timestamp", unixNanos(cs.Timestamp), "app_hash", fmt.Sprintf("%X", cs.AppHash),
					"expires_at", unixTime(resp.Client.ExpiresAt),
					"trust_level", fmt.Sprintf("%d/%d", c.Params.TrustLevel.Numerator, c.Params.TrustLevel.Denominator),
					"trusting_period_secs", c.Params.TrustingPeriodSecs, "unbonding_period_secs", c.Params.UnbondingPeriodSecs,
					"max_clock_drift_secs", c.Params.MaxClockDriftSecs, "next_sequence_send", c.NextSequenceSend, "creator", c.Creator)
			})
		},
	}
}

func consensusStateQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "consensus-state <client-id> [height]",
		Short: "Query a client's consensus state at a height (default: its latest)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &QueryConsensusStateRequest{ClientId: args[0]}
			if len(args) == 2 {
				h, err := strconv.ParseUint(args[1], 10, 64)
				if err != nil {
					return fmt.Errorf("height %q: %w", args[1], err)
				}
				req.Height = h
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).ConsensusState(cmd.Context(), req)
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cs := resp.ConsensusState
				cli.KV(w, "height", resp.Height, "timestamp", unixNanos(cs.Timestamp),
					"app_hash", fmt.Sprintf("%X", cs.AppHash), "next_validators_hash", fmt.Sprintf("%X", cs.NextValidatorsHash))
			})
		},
	}
}

func packetQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "packet <client-id> <sequence>",
		Short: "Query what this chain holds of a packet: sent and pending, received, acknowledged",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("sequence %q: %w", args[1], err)
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Packet(cmd.Context(), &QueryPacketRequest{ClientId: args[0], Sequence: seq})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				packet := "-" // sent from here and pending: what the relayer has to deliver
				if p := resp.Packet; p != nil {
					packet = fmt.Sprintf("sequence %d to %s, timeout %s", p.Sequence, p.DestinationClient, unixTime(int64(p.TimeoutTimestamp)))
				}
				ack := "-"
				if resp.Acknowledgement != nil {
					ack = "success"
					for _, a := range resp.Acknowledgement.AppAcknowledgements {
						if string(a) == string(ErrorAcknowledgement) {
							ack = "error (the receiving app refused it; the sender is refunded)"
						}
					}
				}
				cli.KV(w, "commitment", fmt.Sprintf("%X", resp.Commitment), "packet", packet, "received", resp.Received,
					"acknowledgement_commitment", fmt.Sprintf("%X", resp.AcknowledgementCommitment), "acknowledgement", ack)
			})
		},
	}
}

func pendingQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "unreceived <client-id>",
		Aliases: []string{"pending"},
		Short:   "List packets sent over a client that are not yet acknowledged or timed out",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start, _ := cmd.Flags().GetUint64("start")
			limit, _ := cmd.Flags().GetUint32("limit")
			resp, err := cli.QueryClient(cmd, NewQueryClient).PendingPackets(cmd.Context(), &QueryPendingPacketsRequest{ClientId: args[0], StartSequence: start, Limit: limit})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				rows := make([][]any, len(resp.Packets))
				for i, p := range resp.Packets {
					rows[i] = []any{p.Sequence, p.DestinationClient, unixTime(int64(p.TimeoutTimestamp))}
				}
				cli.Table(w, []string{"sequence", "destination_client", "timeout_timestamp"}, rows)
				if resp.NextSequence != 0 {
					fmt.Fprintf(w, "next page: --start %d\n", resp.NextSequence)
				}
			})
		},
	}
	cmd.Flags().Uint64("start", 0, "first sequence to list")
	cmd.Flags().Uint32("limit", 0, "at most this many (default 100, at most 1000)")
	return cmd
}

func denomQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "denom <bridge/hash|hash>",
		Short: "Query a voucher denom's trace: the path it came along and its base denom",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).DenomTrace(cmd.Context(), &QueryDenomTraceRequest{Denom: args[0]})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cli.KV(w, "denom", resp.Denom, "path", resp.Trace.Path, "base_denom", resp.Trace.BaseDenom)
			})
		},
	}
}

func paramsQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "params",
		Short: "Query the bridge parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Params(cmd.Context(), &QueryParamsRequest{})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				p := resp.Params
				cli.KV(w, "authority", p.Authority, "default_timeout_secs", p.DefaultTimeoutSecs, "max_validators", p.MaxValidators)
			})
		},
	}
}
