package main

import (
	"fmt"
	"io"

	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

// Bank query paths (gRPC-style, answered by the app over abci_query).
const (
	pathBankBalance       = "/selfchain.bank.v1.Query/Balance"
	pathBankAllBalances   = "/selfchain.bank.v1.Query/AllBalances"
	pathBankTotalSupply   = "/selfchain.bank.v1.Query/TotalSupply"
	pathBankSupplyOf      = "/selfchain.bank.v1.Query/SupplyOf"
	pathBankDenomMetadata = "/selfchain.bank.v1.Query/DenomMetadata"
)

func bankTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bank", Short: "Send tokens"}
	cmd.AddCommand(bankSendCmd(), bankMultiSendCmd())
	return cmd
}

func bankSendCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "send <from-key-or-address> <to-address> <amount>",
		Short: "Send tokens from a keyring key to an address",
		Example: `  selfchaind tx bank send alice self1... 1000uself --wait
  selfchaind tx bank send alice self1... 1000uself --gas auto --yes`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			to, err := parseAddress("recipient", args[1])
			if err != nil {
				return err
			}
			amount, err := parseAmount(args[2])
			if err != nil {
				return err
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				if err := checkDenomsKnown(cmd, amount); err != nil {
					return nil, err
				}
				return []runtime.Msg{&bank.MsgSend{FromAddress: from.String(), ToAddress: to.String(), Amount: amount}}, nil
			})
		},
	}
}

func bankMultiSendCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "multi-send <from-key-or-address> <to-address>... <amount-each>",
		Short:   "Send the same amount to each of several addresses in one tx",
		Example: `  selfchaind tx bank multi-send alice self1... self1... 500uself --wait`,
		Args:    cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			each, err := parseAmount(args[len(args)-1])
			if err != nil {
				return err
			}
			var outs []bank.Output
			total := types.Coins{}
			for _, s := range args[1 : len(args)-1] {
				to, err := parseAddress("recipient", s)
				if err != nil {
					return err
				}
				outs = append(outs, bank.Output{Address: to.String(), Coins: each})
				if total, err = total.Add(each); err != nil {
					return fmt.Errorf("total amount: %w", err)
				}
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				if err := checkDenomsKnown(cmd, each); err != nil {
					return nil, err
				}
				return []runtime.Msg{&bank.MsgMultiSend{Input: bank.Input{Address: from.String(), Coins: total}, Outputs: outs}}, nil
			})
		},
	}
}

// checkDenomsKnown asks the chain for each denom's metadata before anything is
// signed: a typo'd denom fails here with a clear message instead of costing a fee.
func checkDenomsKnown(cmd *cobra.Command, coins types.Coins) error {
	c, err := newClient(cmd)
	if err != nil {
		return err
	}
	for _, coin := range coins {
		var resp bank.QueryDenomMetadataResponse
		err := c.Query(cmd.Context(), pathBankDenomMetadata, &bank.QueryDenomMetadataRequest{Denom: coin.Denom}, &resp)
		if client.IsNotFound(err) {
			return fmt.Errorf("unknown denom %q: the chain has no such token (its native denom is %s)", coin.Denom, chainDenom(cmd))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func bankQueryCmd() *cobra.Command {
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
			addr, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			denom := settings(cmd).GetString("denom")
			if denom == "" {
				denom = chainDenom(cmd)
			}
			if err := types.ValidateDenom(denom); err != nil {
				return err
			}
			var resp bank.QueryBalanceResponse
			if err := queryOnce(cmd, pathBankBalance, &bank.QueryBalanceRequest{Address: addr.String(), Denom: denom}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				kv(w, "amount", resp.Balance.Amount.String(), "denom", denom)
			})
		},
	}
	cmd.Flags().String("denom", "", "denomination to query (default: the chain's own denom, x/poai's bond denom; "+app.BondDenom+" if the node cannot say)")
	return cmd
}

// chainDenom is the chain's own token as the node says: x/poai's bond denom
// (SELF Chain bonds uself; a chain made by constellation bonds its own token).
// When the node cannot answer, app.BondDenom.
func chainDenom(cmd *cobra.Command) string {
	var resp poai.QueryParamsResponse
	if err := queryOnce(cmd, pathPoaiParams, &poai.QueryParamsRequest{}, &resp); err != nil || types.ValidateDenom(resp.Params.BondDenom) != nil {
		return app.BondDenom
	}
	return resp.Params.BondDenom
}

func balancesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "balances <address-or-key>",
		Short: "Query all balances of an address",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			var resp bank.QueryAllBalancesResponse
			if err := queryOnce(cmd, pathBankAllBalances, &bank.QueryAllBalancesRequest{Address: addr.String()}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) { printCoins(w, resp.Balances, "no balances") })
		},
	}
}

func supplyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "supply",
		Short: "Query the total supply of every denom, or of one with --denom",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			denom := settings(cmd).GetString("denom")
			if denom == "" {
				var resp bank.QueryTotalSupplyResponse
				if err := queryOnce(cmd, pathBankTotalSupply, &bank.QueryTotalSupplyRequest{}, &resp); err != nil {
					return err
				}
				return printResult(cmd, &resp, func(w io.Writer) { printCoins(w, resp.Supply, "no supply") })
			}
			if err := types.ValidateDenom(denom); err != nil {
				return err
			}
			var resp bank.QuerySupplyOfResponse
			if err := queryOnce(cmd, pathBankSupplyOf, &bank.QuerySupplyOfRequest{Denom: denom}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				kv(w, "amount", resp.Amount.Amount.String(), "denom", denom)
			})
		},
	}
	cmd.Flags().String("denom", "", "only this denomination")
	return cmd
}

func printCoins(w io.Writer, cs types.Coins, empty string) {
	if len(cs) == 0 {
		fmt.Fprintf(w, "(%s)\n", empty)
		return
	}
	for _, c := range cs {
		fmt.Fprintln(w, c.String())
	}
}

// queryOnce runs one ABCI query against --node.
func queryOnce(cmd *cobra.Command, path string, req, resp proto.Message) error {
	c, err := newClient(cmd)
	if err != nil {
		return err
	}
	return c.Query(cmd.Context(), path, req, resp)
}
