// Command localnet writes the homes of a local multi-validator network, the same
// way testutil/network writes them for tests (network.InitFiles), plus a funded
// `faucet` key in node0's unencrypted test keyring. scripts/localnet.sh runs it
// once and then starts one `selfchaind start` process per home.
//
//	go run ./scripts/localnet --dir .localnet --validators 4 --base-port 36656
//
// Node i listens on 127.0.0.1: p2p base+10i, RPC base+10i+1. The consensus key
// types alternate ed25519 / ml_dsa_65 unless --key-types says otherwise.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
	"github.com/selfchain/selfchain/types"
)

func main() {
	if err := run(os.Args[1:]); errors.Is(err, flag.ErrHelp) {
		return
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "localnet:", err)
		os.Exit(1)
	}
}

func run(args []string) (retErr error) {
	flag := flag.NewFlagSet("localnet", flag.ContinueOnError)
	dir := flag.String("dir", ".localnet", "directory for the node homes (must not hold a network yet)")
	n := flag.Int("validators", 4, "number of validators (1-16)")
	basePort := flag.Int("base-port", 36656, "node i listens on base+10i (p2p), base+10i+1 (RPC) and base+10i+3 (tx API, app.toml [api]; +2 is left for Prometheus)")
	chainID := flag.String("chain-id", "selfchain-localnet-1", "chain id")
	keyTypes := flag.String("key-types", "", "comma-separated consensus key types per validator (default: ed25519,ml_dsa_65 alternating)")
	blockTime := flag.Duration("block-time", 500*time.Millisecond, "consensus.timeout_commit")
	faucetCoins := flag.String("faucet-coins", "1001000000000uself", "genesis balance of the faucet key")
	minGasPrices := flag.String("minimum-gas-prices", "0.001uself", "app.toml minimum-gas-prices of every node")
	veHeight := flag.Int64("vote-extensions-height", -1, "consensus_params.abci.vote_extensions_enable_height: 0 off, h from height h (default -1: what `selfchaind init` writes)")
	mempoolSize := flag.Int("mempool-size", 0, "config.toml mempool.size (default 0: what init writes for the mempool type)")
	if err := flag.Parse(args); err != nil {
		return err
	}

	if *n < 1 || *n > 16 {
		return fmt.Errorf("--validators %d: want 1-16", *n)
	}
	if *basePort < 1024 || *basePort+10**n > 65535 {
		return fmt.Errorf("--base-port %d: ports base..base+10n must lie within 1024-65535", *basePort)
	}
	if _, err := os.Stat(*dir); errors.Is(err, fs.ErrNotExist) {
		// A half-written network would block the next attempt: remove what this run made.
		defer func() {
			if retErr != nil {
				os.RemoveAll(*dir)
			}
		}()
	}
	if _, err := os.Stat(filepath.Join(*dir, network.Moniker(0))); err == nil {
		return fmt.Errorf("%s already holds a network: resume it with `make localnet`, or delete it with `make localnet-reset`", *dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	coins, err := types.ParseCoins(*faucetCoins)
	if err != nil {
		return fmt.Errorf("--faucet-coins: %w", err)
	}
	kts := strings.Split(*keyTypes, ",")
	if *keyTypes == "" {
		kts = nil
		for i := 0; i < *n; i++ {
			kts = append(kts, network.DefaultKeyTypes[i%len(network.DefaultKeyTypes)])
		}
	}
	if len(kts) != *n {
		return fmt.Errorf("--key-types lists %d types for %d validators", len(kts), *n)
	}

	cfg := network.Config{
		ChainID:   *chainID,
		Accounts:  []*testutil.Account{}, // no test accounts: the faucet is the funded key
		BlockTime: *blockTime,
		LogLevel:  "info",
	}
	if *veHeight >= 0 {
		cfg.ModifyGenesisDoc = network.VoteExtensionsFrom(*veHeight)
	}
	if *mempoolSize < 0 {
		return fmt.Errorf("--mempool-size %d: want >= 0", *mempoolSize)
	}
	ports := make([]network.Ports, *n)
	for i := range ports {
		ports[i] = network.Ports{P2P: *basePort + 10*i, RPC: *basePort + 10*i + 1, API: *basePort + 10*i + 3}
		cfg.Validators = append(cfg.Validators, network.ValidatorConfig{
			KeyType:         strings.TrimSpace(kts[i]),
			ModifyAppConfig: func(c *app.Config) { c.MinGasPrices = *minGasPrices },
			ModifyCometConfig: func(c *cmtcfg.Config) {
				if *mempoolSize > 0 {
					c.Mempool.Size = *mempoolSize
				}
			},
		})
	}

	// The faucet key first: its address goes into genesis.
	node0 := filepath.Join(*dir, network.Moniker(0))
	kr, err := keyring.New(keyring.BackendTest, node0, nil)
	if err != nil {
		return err
	}
	rec, mnemonic, err := kr.NewMnemonic("faucet", crypto.DefaultKeyType)
	if err != nil {
		return err
	}
	cfg.ExtraBalances = []network.Balance{{Address: rec.Address.String(), Coins: coins}}
	if err := os.WriteFile(filepath.Join(*dir, "faucet.mnemonic"), []byte(mnemonic+"\n"), 0o600); err != nil {
		return err
	}

	files, err := network.InitFiles(*dir, cfg, ports)
	if err != nil {
		return err
	}
	// nodes: one line per node for the script to print and start.
	var b strings.Builder
	for i, home := range files.Homes {
		fmt.Fprintf(&b, "%s %s tcp://127.0.0.1:%d %s\n", network.Moniker(i), home, ports[i].RPC, files.Validators[i].KeyType)
	}
	if err := os.WriteFile(filepath.Join(*dir, "nodes"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "faucet.address"), []byte(rec.Address.String()+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d validator homes for chain %s in %s (genesis %s)\n", *n, files.ChainID, *dir, server.GenesisPath(files.Homes[0]))
	return nil
}
