package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Tx flag names (persistent on `tx`, so every tx command has them).
const (
	FlagFees             = "fees"
	FlagGas              = "gas"
	FlagGasPrices        = "gas-prices"
	FlagGasAdjustment    = "gas-adjustment"
	FlagMemo             = "memo"
	FlagTimeoutHeight    = "timeout-height"
	FlagWait             = "wait"
	FlagBroadcastTimeout = "broadcast-timeout"
	FlagYes              = "yes"
)

// AddTxFlags adds the tx flags (persistent, so every subcommand has them).
func AddTxFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.String(FlagFees, "", "fee to pay, e.g. 200uself (default: --gas-prices × gas)")
	f.String(FlagGas, strconv.Itoa(client.DefaultGas), `gas limit: a number, or "auto" to simulate and multiply by --gas-adjustment`)
	f.String(FlagGasPrices, client.DefaultGasPrices, "price per unit of gas, used when --fees is absent")
	f.Float64(FlagGasAdjustment, client.DefaultGasAdjustment, `multiplier of the simulated gas with --gas auto`)
	f.String(FlagMemo, "", "memo to include in the tx")
	f.Uint64(FlagTimeoutHeight, 0, "block height after which the tx is no longer valid (0: none)")
	f.BoolP(FlagYes, "y", false, "sign and broadcast without asking for confirmation")
	f.Bool(FlagWait, false, "wait until the tx is in a block and print its result")
	f.String(FlagBroadcastTimeout, client.DefaultBroadcastTimeout.String(), "how long --wait waits")
}

// ParseGas reads --gas: a positive integer, or "auto".
func ParseGas(s string) (gas uint64, auto bool, err error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "auto") {
		return 0, true, nil
	}
	gas, err = strconv.ParseUint(s, 10, 64)
	if err != nil || gas == 0 {
		return 0, false, fmt.Errorf("invalid --gas %q: want a positive integer or \"auto\"", s)
	}
	return gas, false, nil
}

// ParseFees reads --fees; empty means "compute from gas prices".
func ParseFees(s string) (types.Coins, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	fees, err := types.ParseCoins(s)
	if err != nil {
		return nil, fmt.Errorf("invalid --fees: %w", err)
	}
	return fees, nil
}

// ParseAmount reads a coins argument such as 1000uself or 5uself,10uatom.
func ParseAmount(s string) (types.Coins, error) {
	coins, err := types.ParseCoins(s)
	if err != nil {
		return nil, fmt.Errorf("invalid amount: %w", err)
	}
	return coins, nil
}

// ParseAddress reads a bech32 account address argument, naming it in the error.
func ParseAddress(what, s string) (crypto.Address, error) {
	addr, err := crypto.AddressFromBech32(s)
	if err != nil {
		return nil, fmt.Errorf("invalid %s address: %w", what, err)
	}
	return addr, nil
}

// TxFactory turns the layered tx settings into a client.Factory.
func TxFactory(v *viper.Viper) (client.Factory, error) {
	gas, auto, err := ParseGas(v.GetString(FlagGas))
	if err != nil {
		return client.Factory{}, err
	}
	fees, err := ParseFees(v.GetString(FlagFees))
	if err != nil {
		return client.Factory{}, err
	}
	prices := v.GetString(FlagGasPrices)
	if _, err := tx.ParseGasPrices(prices); err != nil {
		return client.Factory{}, fmt.Errorf("invalid --gas-prices: %w", err)
	}
	adj := v.GetFloat64(FlagGasAdjustment)
	if adj <= 0 {
		return client.Factory{}, fmt.Errorf("invalid --gas-adjustment %v: must be positive", adj)
	}
	return client.Factory{
		ChainID: v.GetString(FlagChainID), Gas: gas, GasAuto: auto, GasAdjustment: adj,
		GasPrices: prices, Fees: fees, Memo: v.GetString(FlagMemo), TimeoutHeight: v.GetUint64(FlagTimeoutHeight),
	}, nil
}

// BroadcastTimeout reads --broadcast-timeout.
func BroadcastTimeout(v *viper.Viper) (time.Duration, error) {
	d, err := time.ParseDuration(v.GetString(FlagBroadcastTimeout))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid --broadcast-timeout %q: want a duration such as 30s", v.GetString(FlagBroadcastTimeout))
	}
	return d, nil
}

// GasAutoByDefault makes --gas auto the default of a command whose gas depends on
// key sizes (a post-quantum key is kilobytes, and state writes are charged per
// byte): the generic default of 200000 would run out. Call it on the built
// command. It gives the command its own --gas flag, whose help says
// (default "auto") — the tx root's persistent --gas would show 200000 — and an
// explicit --gas, SELFCHAIN_GAS or client.toml value other than the generic
// default still wins (client.toml as `init` writes it holds that default).
func GasAutoByDefault(cmd *cobra.Command) {
	cmd.Flags().String(FlagGas, "auto", `gas limit: a number, or "auto" to simulate and multiply by --gas-adjustment (this command stores keys of kilobytes, so it simulates by default)`)
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		v := Settings(cmd)
		if !cmd.Flags().Changed(FlagGas) && v.GetString(FlagGas) == strconv.Itoa(client.DefaultGas) {
			v.Set(FlagGas, "auto")
		}
		return run(cmd, args)
	}
}
