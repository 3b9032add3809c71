package bridge

import (
	"fmt"
	"os"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
)

// Flags of the bridge tx commands.
const (
	flagTimeout         = "timeout"
	flagMemo            = "memo"
	flagTrustingPeriod  = "trusting-period"
	flagUnbondingPeriod = "unbonding-period"
	flagMaxClockDrift   = "max-clock-drift"
	flagTrustLevel      = "trust-level"
	flagHeight          = "height"
)

// Defaults of a new client: CometBFT chains of this framework unbond in 21 days;
// trusting for two thirds of that leaves a week to notice misbehaviour.
const (
	DefaultTrustingPeriod  = 14 * 24 * time.Hour
	DefaultUnbondingPeriod = 21 * 24 * time.Hour
	DefaultMaxClockDrift   = 10 * time.Second
)

// GetTxCmd is `tx bridge`.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bridge", Short: "Send tokens to other chains; create and maintain their light clients"}
	cmd.AddCommand(transferCmd(), createClientCmd(), updateClientCmd(), registerCounterpartyCmd(), misbehaviourCmd(), recoverClientCmd())
	return cmd
}

func transferCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "transfer <from-key> <client-id> <receiver> <amount>",
		Short: "Send tokens over a client to an address on its chain (a relayer delivers the packet)",
		Example: `  selfchaind tx bridge transfer alice client-0 acme1... 1000000uself --wait
  selfchaind tx bridge transfer alice client-0 acme1... 400000bridge/9A1F... --timeout 30m`,
		Args: cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			coins, err := cli.ParseAmount(args[3])
			if err != nil {
				return err
			}
			if len(coins) != 1 {
				return fmt.Errorf("amount %q: give exactly one denomination", args[3])
			}
			var timeout uint64
			if d, _ := cmd.Flags().GetDuration(flagTimeout); d > 0 {
				// A relative timeout is counted from this machine's clock; the destination
				// judges it by its own block time.
				timeout = uint64(time.Now().Add(d).Unix())
			}
			memo, _ := cmd.Flags().GetString(flagMemo)
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgTransfer{Sender: from.String(), SourceClient: args[1], Receiver: args[2], Token: coins[0], TimeoutTimestamp: timeout, Memo: memo}}, nil
			})
		},
	}
	cmd.Flags().Duration(flagTimeout, 0, "refund unless delivered within this long (default: the chain's default_timeout_secs)")
	cmd.Flags().String(flagMemo, "", "memo carried to the receiver (at most 256 bytes)")
	return cmd
}

func counterpartyRPC(url string) (*rpchttp.HTTP, error) {
	if !strings.Contains(url, "://") {
		url = "tcp://" + url
	}
	c, err := rpchttp.New(url, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("counterparty RPC %q: %w", url, err)
	}
	return c, nil
}

func createClientCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create-client <creator-key> <counterparty-rpc>",
		Short: "Create a light client of another chain from its latest header (or --height), read from its RPC",
		Long: `Creates a light client of the chain behind <counterparty-rpc>, trusting its header at
--height (default: the latest). The trusting period must stay below the counterparty's
unbonding period. Then register the counterparty's client of this chain with
register-counterparty; constellation bridge does both sides at once.`,
		Example: "  selfchaind tx bridge create-client alice http://127.0.0.1:36657 --wait",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			params, err := clientParamsFromFlags(cmd)
			if err != nil {
				return err
			}
			src, err := counterpartyRPC(args[1])
			if err != nil {
				return err
			}
			height, _ := cmd.Flags().GetInt64(flagHeight)
			h, err := FetchHeader(cmd.Context(), src, height, 0)
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgCreateClient{Creator: from.String(), Header: *h, Params: params}}, nil
			})
		},
	}
	f := cmd.Flags()
	f.Duration(flagTrustingPeriod, DefaultTrustingPeriod, "how long a verified header stays trusted (below the unbonding period)")
	f.Duration(flagUnbondingPeriod, DefaultUnbondingPeriod, "the counterparty's unbonding period")
	f.Duration(flagMaxClockDrift, DefaultMaxClockDrift, "how far a header's time may lead this chain's block time")
	f.String(flagTrustLevel, "1/3", "share of the trusted validators' power that must sign a skipped-to header, in [1/3, 1]")
	f.Int64(flagHeight, 0, "counterparty height to trust (default: its latest)")
	return cmd
}

// ClientParamsOf builds client params from durations and a trust level "n/d".
func ClientParamsOf(trusting, unbonding, drift time.Duration, trustLevel string) (ClientParams, error) {
	var num, den uint64
	if _, err := fmt.Sscanf(trustLevel, "%d/%d", &num, &den); err != nil {
		return ClientParams{}, fmt.Errorf("trust level %q: want n/d, e.g. 1/3", trustLevel)
	}
	p := ClientParams{
		TrustLevel:          Fraction{Numerator: num, Denominator: den},
		TrustingPeriodSecs:  uint64(trusting / time.Second),
		UnbondingPeriodSecs: uint64(unbonding / time.Second),
		MaxClockDriftSecs:   uint64(max(drift/time.Second, 1)),
	}
	return p, p.Validate()
}

func clientParamsFromFlags(cmd *cobra.Command) (ClientParams, error) {
	f := cmd.Flags()
	trusting, _ := f.GetDuration(flagTrustingPeriod)
	unbonding, _ := f.GetDuration(flagUnbondingPeriod)
	drift, _ := f.GetDuration(flagMaxClockDrift)
	level, _ := f.GetString(flagTrustLevel)
	return ClientParamsOf(trusting, unbonding, drift, level)
}

func updateClientCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "update-client <relayer-key> <client-id> <counterparty-rpc>",
		Short:   "Update a light client to the counterparty's latest header (or --height), verified from the client's latest height",
		Example: "  selfchaind tx bridge update-client relayer client-0 http://127.0.0.1:36657 --wait",
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Client(cmd.Context(), &QueryClientRequest{ClientId: args[1]})
			if err != nil {
				return err
			}
			src, err := counterpartyRPC(args[2])
			if err != nil {
				return err
			}
			height, _ := cmd.Flags().GetInt64(flagHeight)
			h, err := FetchHeader(cmd.Context(), src, height, int64(resp.Client.Client.LatestHeight))
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgUpdateClient{Relayer: from.String(), ClientId: args[1], Header: *h}}, nil
			})
		},
	}
	cmd.Flags().Int64(flagHeight, 0, "counterparty height to update to (default: its latest)")
	return cmd
}

func registerCounterpartyCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "register-counterparty <creator-key> <client-id> <counterparty-client-id>",
		Short:   "Name the counterparty chain's client of this chain (the client's creator, once)",
		Example: "  selfchaind tx bridge register-counterparty alice client-0 client-3 --wait",
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgRegisterCounterparty{Creator: from.String(), ClientId: args[1], CounterpartyClientId: args[2]}}, nil
			})
		},
	}
}

func misbehaviourCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "submit-misbehaviour <key> <client-id> <header-1.json> <header-2.json>",
		Short: "Freeze a client with two conflicting headers of its chain (Header JSON files)",
		Args:  cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			var hs [2]Header
			for i, path := range args[2:] {
				bz, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				if err := runtime.UnmarshalGenesis(bz, &hs[i]); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgSubmitMisbehaviour{Relayer: from.String(), ClientId: args[1], Header_1: hs[0], Header_2: hs[1]}}, nil
			})
		},
	}
}

func recoverClientCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "recover-client <authority-key> <subject-client-id> <substitute-client-id>",
		Short: "Replace a frozen or expired client's state with an active substitute's (the bridge authority only)",
		Long: `Create a substitute client of the same chain with the same parameters first
(create-client), then recover the subject from it: packets keep flowing over the
subject's id, which the counterparty has registered.`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgRecoverClient{Authority: from.String(), SubjectClientId: args[1], SubstituteClientId: args[2]}}, nil
			})
		},
	}
}
