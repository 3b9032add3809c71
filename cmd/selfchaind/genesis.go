package main

import (
	"fmt"
	"io"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/spf13/cobra"

	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/x/poai"
)

func genesisCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "genesis",
		Short: "Edit and check genesis.json (accounts, validators)",
		Long: `Edit and check <home>/config/genesis.json.

A network of several validators: init every home, pick one genesis, add each
other validator's consensus key to it with add-validator (pointing --pubkey at
that home, whose key signs a proof of possession), fund accounts with add-account, copy the file to every home and
start each node with --p2p.persistent_peers <node-id>@host:port of the others
(selfchaind comet show-node-id prints a home's node id).`,
	}
	cmd.AddCommand(addAccountCmd(), addValidatorCmd(), setOperatorCmd(), setUpgradeAuthorityCmd(), validateGenesisCmd(), showValidatorCmd())
	return cmd
}

func addAccountCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-account <address-or-key-name> <coins>",
		Short: "Give an account a balance in genesis (app_state.bank.balances)",
		Example: `  selfchaind genesis add-account faucet 1000000000000uself --keyring-backend test
  selfchaind genesis add-account self1... 5000uself --append`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := clientcli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			coins, err := clientcli.ParseAmount(args[1])
			if err != nil {
				return err
			}
			appendCoins := clientcli.Settings(cmd).GetBool("append")
			path := server.GenesisPath(clientcli.HomeDir(cmd))
			if err := server.AddGenesisAccount(path, addr, coins, appendCoins); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "added %s to %s in %s\n", coins, addr, path)
			return nil
		},
	}
	cmd.Flags().Bool("append", false, "add to the balance of an account already in genesis")
	return cmd
}

func addValidatorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-validator <moniker> --pubkey <priv_validator_key.json|home|json> [--power N] [--operator A] [--key-proof B64]",
		Short: "Add a validator to genesis.validators",
		Long: `Add a validator's consensus key to genesis.validators and app_state.poai.validators.
--pubkey takes another node's home directory or its priv_validator_key.json: the
private key signs the proof that its holder registers it for the operator on this
genesis' chain id (poai.KeyProofSignBytes). With only the public key (the JSON
printed by "selfchaind comet show-validator"), pass that proof as --key-proof:
run "selfchaind comet key-proof <operator> --chain-id <id>" in the validator's home.`,
		Example: `  selfchaind genesis add-validator val2 --pubkey ./val2 --power 10
  selfchaind genesis add-validator val3 --pubkey '{"type":"tendermint/PubKeyEd25519","value":"..."}' \
      --operator self1... --key-proof <base64>`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := clientcli.Settings(cmd)
			pkArg := v.GetString("pubkey")
			if pkArg == "" {
				return fmt.Errorf("--pubkey is required")
			}
			key, err := poai.ParseValidatorKey(pkArg)
			if err != nil {
				return err
			}
			var operator crypto.Address
			if op := v.GetString("operator"); op != "" {
				if operator, err = clientcli.ResolveAddress(cmd, op); err != nil {
					return err
				}
			}
			power := v.GetInt64("power")
			path := server.GenesisPath(clientcli.HomeDir(cmd))
			if err := server.AddGenesisValidator(path, args[0], key.Pub, power, operator, server.ProveWith(key, v.GetString("key-proof"))); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "added validator %s (%X, %s, power %d) to %s\n", args[0], key.Pub.Address(), key.Pub.Type(), power, path)
			if operator != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "genesis validator %s is operated by %s\n", args[0], operator)
			}
			return nil
		},
	}
	cmd.Flags().String("pubkey", "", "consensus key: a node home or its priv_validator_key.json, or the public key as JSON with --key-proof")
	cmd.Flags().Int64("power", server.DefaultValidatorPower, "voting power")
	cmd.Flags().String("operator", "", "PoAI operator account (address or key name); default: the consensus key's own account")
	cmd.Flags().String("key-proof", "", "proof of possession of the consensus key for the operator, base64 (`selfchaind comet key-proof`); default: signed with the priv_validator_key.json")
	return cmd
}

func setOperatorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set-operator <moniker> <address-or-key-name> [--consensus-key <home|priv_validator_key.json>] [--key-proof B64]",
		Short: "Make an account the PoAI operator of a genesis validator",
		Long: `init and add-validator make a validator's PoAI operator the consensus key's own
account, which no keyring holds. The operator receives the validator's rewards and
unbonded stake and signs edit-validator, unjail and withdraw-rewards, so point it at
a key you hold before the chain starts. The validator's proof of possession of its
consensus key names the operator, so it is signed again: with --consensus-key
(default: this --home's priv_validator_key.json), or given as --key-proof.`,
		Example: `  selfchaind genesis set-operator devnet faucet --keyring-backend test`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return setOperator(cmd, server.GenesisPath(clientcli.HomeDir(cmd)), args[0], args[1])
		},
	}
	cmd.Flags().String("consensus-key", "", "the validator's node home or priv_validator_key.json (default: --home)")
	cmd.Flags().String("key-proof", "", "proof of possession of the consensus key for the new operator, base64 (`selfchaind comet key-proof`)")
	return cmd
}

func setOperator(cmd *cobra.Command, path, moniker, operator string) error {
	addr, err := clientcli.ResolveAddress(cmd, operator)
	if err != nil {
		return err
	}
	v := clientcli.Settings(cmd)
	prove := server.HomeKeyProver(clientcli.HomeDir(cmd))
	if src := v.GetString("consensus-key"); src != "" || v.GetString("key-proof") != "" {
		var key poai.ValidatorKey
		if src != "" {
			if key, err = poai.ParseValidatorKey(src); err != nil {
				return err
			}
			prove = server.ProveWith(key, v.GetString("key-proof"))
		} else {
			given := v.GetString("key-proof")
			prove = func(pub cmtcrypto.PubKey, chainID string, op crypto.Address) ([]byte, error) {
				return server.ProveWith(poai.ValidatorKey{Pub: pub}, given)(pub, chainID, op)
			}
		}
	}
	if err := server.SetGenesisValidatorOperator(path, moniker, addr, prove); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "genesis validator %s is operated by %s\n", moniker, addr)
	return nil
}

func validateGenesisCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "validate [file]",
		Aliases: []string{"validate-genesis"},
		Short:   "Check a genesis file (default: <home>/config/genesis.json)",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := server.GenesisPath(clientcli.HomeDir(cmd))
			if len(args) == 1 {
				path = args[0]
			}
			gen, err := server.LoadGenesis(path)
			if err != nil {
				return err
			}
			if err := server.ValidateGenesis(gen); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			out := struct {
				File       string `json:"file"`
				ChainID    string `json:"chain_id"`
				Validators int    `json:"validators"`
				Valid      bool   `json:"valid"`
			}{path, gen.ChainID, len(gen.Validators), true}
			return clientcli.PrintResult(cmd, out, func(w io.Writer) {
				fmt.Fprintf(w, "%s is a valid genesis for chain %s with %d validator(s)\n", path, gen.ChainID, len(gen.Validators))
			})
		},
	}
}

func showValidatorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show-validator",
		Short: "Print this home's consensus public key as JSON (input of add-validator --pubkey)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pub, err := server.ShowValidator(clientcli.HomeDir(cmd))
			if err != nil {
				return err
			}
			bz, err := cmtjson.Marshal(pub)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(bz))
			return nil
		},
	}
}
