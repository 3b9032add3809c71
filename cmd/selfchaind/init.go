package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/server"
)

const (
	flagConsensusKeyType = "consensus-key-type"
	flagOverwrite        = "overwrite"
	flagMempoolType      = "mempool"
)

func initCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init <moniker>",
		Short: "Initialize a node home: config, keys and a single-validator genesis",
		Long: `Initialize --home as a node home, like gaiad/simd init:

  config/config.toml             CometBFT settings (its defaults, with the moniker)
  config/app.toml                application settings (minimum gas prices, state db, pruning)
  config/client.toml             CLI defaults (chain-id, keyring-backend, node, ...)
  config/node_key.json           p2p identity
  config/priv_validator_key.json consensus key (--consensus-key-type)
  data/priv_validator_state.json double-sign protection
  config/genesis.json            this node as the only validator (power 10)

Existing keys are kept. An existing genesis.json is an error unless --overwrite.`,
		Example: `  selfchaind init mynode --chain-id selfchain-devnet-1
  selfchaind init val1 --chain-id mychain-1 --consensus-key-type ml_dsa_65 --home ./val1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := clientcli.Settings(cmd)
			home := v.GetString(clientcli.FlagHome)
			chainID := v.GetString(clientcli.FlagChainID)
			if chainID == "" {
				chainID = randomChainID()
			}
			keyType := clientcli.Settings(cmd).GetString(flagConsensusKeyType)
			overwrite := clientcli.Settings(cmd).GetBool(flagOverwrite)
			mempoolType := clientcli.Settings(cmd).GetString(flagMempoolType)
			if err := server.InitHome(home, args[0], chainID, keyType, server.Overwrite(overwrite), server.WithMempoolType(mempoolType)); err != nil {
				return err
			}
			if err := initClientConfig(home, chainID); err != nil {
				return err
			}
			nodeID, err := server.NodeID(home)
			if err != nil {
				return err
			}
			pub, err := server.ShowValidator(home)
			if err != nil {
				return err
			}
			out := struct {
				Moniker          string `json:"moniker"`
				ChainID          string `json:"chain_id"`
				Home             string `json:"home"`
				NodeID           string `json:"node_id"`
				ValidatorAddress string `json:"validator_address"`
				ConsensusKeyType string `json:"consensus_key_type"`
			}{args[0], chainID, home, nodeID, pub.Address().String(), pub.Type()}
			return clientcli.PrintResult(cmd, out, func(w io.Writer) {
				clientcli.KV(w, "moniker", out.Moniker, "chain_id", out.ChainID, "home", out.Home, "node_id", out.NodeID,
					"validator", out.ValidatorAddress+" ("+out.ConsensusKeyType+")")
				fmt.Fprintf(w, "\nnext: fund accounts with `selfchaind genesis add-account`, then `selfchaind start --home %s`\n", home)
			})
		},
	}
	cmd.Flags().String(flagConsensusKeyType, server.ConsensusKeyEd25519, "validator consensus key type: ed25519 or ml_dsa_65")
	cmd.Flags().Bool(flagOverwrite, false, "replace an existing genesis.json")
	cmd.Flags().String(flagMempoolType, "", "config.toml [mempool] type: app (the application's, the default for a new home) or flood (CometBFT's); empty keeps an existing config.toml's")
	return cmd
}

// initClientConfig points client.toml at the new chain, as the SDK's init does;
// other settings of an existing client.toml are kept.
func initClientConfig(home, chainID string) error {
	c, err := client.LoadConfig(home)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	c.ChainID = chainID
	return client.SaveConfig(home, c)
}

// randomChainID follows the name-N form (bridges key light clients on it).
func randomChainID() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return "test-" + string(b) + "-1"
}
