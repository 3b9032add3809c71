package main

import (
	"encoding/base64"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/server"
)

func cometCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "comet",
		Aliases: []string{"cometbft", "tendermint"},
		Short:   "CometBFT helpers: node id, validator key and address of this home",
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "show-node-id",
			Short: "Print this home's p2p node id (peers dial <node-id>@host:port)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				id, err := server.NodeID(clientcli.HomeDir(cmd))
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), id)
				return nil
			},
		},
		showValidatorCmd(),
		&cobra.Command{
			Use:   "show-address",
			Short: "Print this home's validator (consensus) address, hex",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				pub, err := server.ShowValidator(clientcli.HomeDir(cmd))
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), pub.Address().String())
				return nil
			},
		},
		keyProofCmd(),
	)
	return cmd
}

// keyProofCmd prints the proof of possession of this home's consensus key that
// MsgCreateValidator and genesis validators carry, for a validator whose
// registration is assembled elsewhere (add-validator --key-proof,
// create-validator --key-proof).
func keyProofCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "key-proof <operator-address-or-key-name> [--chain-id ID]",
		Short: "Sign, with this home's consensus key, the proof that it may be registered for an operator",
		Long: `Prints, as base64, this home's consensus key (config/priv_validator_key.json)
signature of poai.KeyProofSignBytes(chain id, operator):

  "selfchain/consensus-key-possession/v1" || 0x00 || uvarint(len(chain_id)) || chain_id
  || uvarint(len(operator)) || operator (the raw 20-byte address)

Pass it as --key-proof to "genesis add-validator", "genesis set-operator" or
"tx poai create-validator" where only the public key is known. The chain id is
--chain-id (or client.toml's chain-id), else this home's genesis.json chain id.`,
		Example: `  selfchaind comet key-proof self1... --chain-id selfchain-1`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			home := clientcli.HomeDir(cmd)
			op, err := clientcli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			chainID := clientcli.Settings(cmd).GetString(clientcli.FlagChainID)
			if chainID == "" {
				gen, err := server.LoadGenesis(server.GenesisPath(home))
				if err != nil {
					return fmt.Errorf("no --chain-id, and this home's genesis: %w", err)
				}
				chainID = gen.ChainID
			}
			proof, err := server.ConsensusKeyProof(home, chainID, op)
			if err != nil {
				return err
			}
			out := struct {
				ChainID  string `json:"chain_id"`
				Operator string `json:"operator"`
				KeyProof string `json:"key_proof"`
			}{chainID, op.String(), base64.StdEncoding.EncodeToString(proof)}
			return clientcli.PrintResult(cmd, out, func(w io.Writer) { fmt.Fprintln(w, out.KeyProof) })
		},
	}
}
