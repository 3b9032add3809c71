package bridge

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
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

func statusName(s ClientStatus) string {
	switch s {
	case CLIENT_STATUS_ACTIVE:
		return "active"
	case CLIENT_STATUS_FROZEN:
		return "frozen"
	case CLIENT_STATUS_EXPIRED:
		return "expired"
	}
	return "unknown"
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
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CLIENT\tCHAIN\tCOUNTERPARTY\tHEIGHT\tSTATUS\tEXPIRES")
				for _, c := range resp.Clients {
					cp := c.Client.CounterpartyClientId
					if cp == "" {
						cp = "(unregistered)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", c.Client.ClientId, c.Client.ChainId, cp, c.Client.LatestHeight, statusName(c.Status), unixTime(c.ExpiresAt))
				}
				tw.Flush()
			})
		},
	}
}

func unixTime(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }

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
					"status", statusName(resp.Client.Status), "latest_height", c.LatestHeight, "frozen_height", c.FrozenHeight,
					"latest_time", time.Unix(0, cs.Timestamp).UTC().Format(time.RFC3339Nano), "app_hash", fmt.Sprintf("%X", cs.AppHash),
					"expires_at", unixTime(resp.Client.ExpiresAt),
					"trust_level", fmt.Sprintf("%d/%d", c.Params.TrustLevel.Numerator, c.Params.TrustLevel.Denominator),
					"trusting_period", secs(c.Params.TrustingPeriodSecs), "unbonding_period", secs(c.Params.UnbondingPeriodSecs),
					"max_clock_drift", secs(c.Params.MaxClockDriftSecs), "next_sequence_send", c.NextSequenceSend, "creator", c.Creator)
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
				cli.KV(w, "height", resp.Height, "time", time.Unix(0, cs.Timestamp).UTC().Format(time.RFC3339Nano),
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
				pending := "no"
				if resp.Packet != nil {
					pending = fmt.Sprintf("yes (to %s, timeout %s)", resp.Packet.DestinationClient, unixTime(int64(resp.Packet.TimeoutTimestamp)))
				}
				ack := "none"
				if resp.Acknowledgement != nil {
					ack = "success"
					for _, a := range resp.Acknowledgement.AppAcknowledgements {
						if string(a) == string(ErrorAcknowledgement) {
							ack = "error (the receiving app refused it; the sender is refunded)"
						}
					}
				}
				cli.KV(w, "sent_pending", pending, "received", resp.Received, "acknowledgement", ack)
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
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEQUENCE\tTO\tTIMEOUT")
				for _, p := range resp.Packets {
					fmt.Fprintf(tw, "%d\t%s\t%s\n", p.Sequence, p.DestinationClient, unixTime(int64(p.TimeoutTimestamp)))
				}
				tw.Flush()
				if resp.NextSequence != 0 {
					fmt.Fprintf(w, "more from --start %d\n", resp.NextSequence)
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
				cli.KV(w, "authority", p.Authority, "default_timeout", secs(p.DefaultTimeoutSecs), "max_validators", p.MaxValidators)
			})
		},
	}
}
