package bank

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// GetTxCmd is `tx bank`.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bank", Short: "Send tokens"}
	cmd.AddCommand(bankSendCmd(), bankMultiSendCmd())
	return cmd
}

func bankSendCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "send <from-key-or-address> <to-address-or-key> <amount>",
		Short: "Send tokens from a keyring key to an address (or to a key of this keyring)",
		Example: `  selfchaind tx bank send alice self1... 1000uself --wait
  selfchaind tx bank send alice bob 1000uself --gas auto --yes`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			to, err := cli.ResolveAddress(cmd, args[1])
			if err != nil {
				return fmt.Errorf("invalid recipient address: %w", err)
			}
			amount, err := cli.ParseAmount(args[2])
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				if err := CheckDenomsKnown(cmd, amount); err != nil {
					return nil, err
				}
				return []runtime.Msg{&MsgSend{FromAddress: from.String(), ToAddress: to.String(), Amount: amount}}, nil
			})
		},
	}
}

func bankMultiSendCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "multi-send <from-key-or-address> <to-address-or-key>... <amount-each>",
		Short:   "Send the same amount to each of several addresses in one tx",
		Example: `  selfchaind tx bank multi-send alice self1... self1... 500uself --wait`,
		Args:    cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			each, err := cli.ParseAmount(args[len(args)-1])
			if err != nil {
				return err
			}
			var outs []Output
			total := types.Coins{}
			for _, s := range args[1 : len(args)-1] {
				to, err := cli.ResolveAddress(cmd, s)
				if err != nil {
					return fmt.Errorf("invalid recipient address: %w", err)
				}
				outs = append(outs, Output{Address: to.String(), Coins: each})
				if total, err = total.Add(each); err != nil {
					return fmt.Errorf("total amount: %w", err)
				}
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				if err := CheckDenomsKnown(cmd, each); err != nil {
					return nil, err
				}
				return []runtime.Msg{&MsgMultiSend{Input: Input{Address: from.String(), Coins: total}, Outputs: outs}}, nil
			})
		},
	}
}

// CheckDenomsKnown asks the chain for each denom's metadata before anything is
// signed: a typo'd denom fails here with a clear message instead of costing a fee.
func CheckDenomsKnown(cmd *cobra.Command, coins types.Coins) error {
	q := cli.QueryClient(cmd, NewQueryClient)
	for _, coin := range coins {
		_, err := q.DenomMetadata(cmd.Context(), &QueryDenomMetadataRequest{Denom: coin.Denom})
		if client.IsNotFound(err) {
			return fmt.Errorf("unknown denom %q: the chain has no such token (its native denom is %s)", coin.Denom, chainDenom(cmd))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// GetQueryCmd is `query bank`.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bank", Short: "Query balances and supply"}
	cmd.AddCommand(balanceCmd(), balancesCmd(), supplyCmd())
	return cmd
}

func balanceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "balance <address-or-key>",
		Short:   "Query an address's balance of one denom (--denom, default: the chain's own denom)",
		Example: "  selfchaind query bank balance self1...\n  selfchaind query bank balance self1... --denom uself",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			denom := cli.Settings(cmd).GetString("denom")
			if denom == "" {
				denom = chainDenom(cmd)
			}
			if err := types.ValidateDenom(denom); err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Balance(cmd.Context(), &QueryBalanceRequest{Address: addr.String(), Denom: denom})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cli.KV(w, "denom", denom, "amount", resp.Balance.Amount.String())
			})
		},
	}
	cmd.Flags().String("denom", "", "denomination to query (default: the chain's own denom, x/poai's bond denom; "+BaseDenom+" if the node cannot say)")
	return cmd
}

func balancesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "balances <address-or-key>",
		Short: "Query all balances of an address",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).AllBalances(cmd.Context(), &QueryAllBalancesRequest{Address: addr.String()})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { printCoins(w, resp.Balances) })
		},
	}
}

func supplyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "supply",
		Short: "Query the total supply of every denom, or of one with --denom",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			denom := cli.Settings(cmd).GetString("denom")
			if denom == "" {
				resp, err := cli.QueryClient(cmd, NewQueryClient).TotalSupply(cmd.Context(), &QueryTotalSupplyRequest{})
				if err != nil {
					return err
				}
				return cli.PrintResult(cmd, resp, func(w io.Writer) { printCoins(w, resp.Supply) })
			}
			if err := types.ValidateDenom(denom); err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).SupplyOf(cmd.Context(), &QuerySupplyOfRequest{Denom: denom})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cli.KV(w, "denom", denom, "amount", resp.Amount.Amount.String())
			})
		},
	}
	cmd.Flags().String("denom", "", "only this denomination")
	return cmd
}

// chainDenom is the chain's own token as the node says (the root command's
// AppInfo.ChainDenom: x/poai's bond denom), else BaseDenom.
func chainDenom(cmd *cobra.Command) string {
	if ask := cli.App(cmd).ChainDenom; ask != nil {
		if d, err := ask(cmd); err == nil && types.ValidateDenom(d) == nil {
			return d
		}
	}
	return BaseDenom
}

// printCoins is a list of coins as a table, like every list (docs/CLI.md, Output).
func printCoins(w io.Writer, cs types.Coins) {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = []any{c.Denom, c.Amount.String()}
	}
	cli.Table(w, []string{"denom", "amount"}, rows)
}
