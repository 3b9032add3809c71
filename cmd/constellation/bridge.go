package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/constellation"
	"github.com/selfchain/selfchain/constellation/relayer"
)

// bridgeCmd links a chain to a counterparty through x/bridge: a light client
// of each on the other, both counterparties registered, the bridge recorded.
func bridgeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bridge <chain> (--to <chain> | --to-rpc <addr> --to-home <client home>)",
		Short: "Link a chain to another through x/bridge: light clients both ways, counterparties registered, relayer keys",
		Long: `Creates on each chain a light client of the other (from its latest header),
registers each client's counterparty, and records the bridge in the chain's
folder (bridges/<counterparty>.json) for relay and status.

The counterparty is another chain of this home (--to <name>), or any chain of
the SELF framework given by its node (--to-rpc) and a selfchaind client home
(--to-home) whose keyring holds, or will hold, the relayer's key there; its
client.toml gives the keyring backend, gas price and address prefix.

The relayer gets its own key "relayer" in each side's keyring (made if
missing). It pays the fees of the clients and of every relayed batch, in each
chain's own token; bridge funds nothing: when a key has no funds it says which
and how to send some, and stops. Running it again reuses what exists.`,
		Example: `  constellation bridge acme --to-rpc http://127.0.0.1:26657 --to-home .devnet
  constellation bridge acme --to beta`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, err := openChain(cmd, args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Minute)
			defer cancel()
			br, peer, err := resolveCounterparty(ctx, cmd, chain)
			if err != nil {
				return err
			}
			return runBridge(ctx, cmd, chain, peer, br)
		},
	}
	cmd.Flags().String("to", "", "counterparty: another chain of this constellation home")
	cmd.Flags().String("to-rpc", "", "counterparty outside this home: its node's CometBFT RPC (e.g. http://127.0.0.1:26657), or several of its nodes comma-separated: the relayer moves to the next when one is down (relay --broadcast all sends each tx to all of them)")
	cmd.Flags().String("to-home", "", "with --to-rpc: a selfchaind client home for the counterparty (keyring, client.toml)")
	cmd.Flags().Duration("trusting-period", 0, "trusting period of new clients (default: 14 days, or two thirds of the counterparty's unbonding period if shorter); the relayer refreshes a client when a third of it is left")
	cmd.Flags().String("to-name", "", "with --to-rpc: the name to call the counterparty by (default: its chain id without the -N revision)")
	return cmd
}

var revisionRe = regexp.MustCompile(`-[0-9]+$`)

// resolveCounterparty builds the bridge's two sides, reusing a recorded bridge.
func resolveCounterparty(ctx context.Context, cmd *cobra.Command, chain *constellation.Chain) (*constellation.Bridge, *constellation.Chain, error) {
	f := cmd.Flags()
	to, _ := f.GetString("to")
	toRPC, _ := f.GetString("to-rpc")
	toHome, _ := f.GetString("to-home")
	toName, _ := f.GetString("to-name")
	a := chain.RelayerSide()
	var b relayer.Side
	var peer *constellation.Chain
	switch {
	case to != "" && (toRPC != "" || toHome != ""):
		return nil, nil, errors.New("give either --to <chain> or --to-rpc with --to-home, not both")
	case to != "":
		if to == chain.Spec.Name {
			return nil, nil, fmt.Errorf("a chain cannot bridge to itself (--to %s)", to)
		}
		var err error
		if peer, err = openChain(cmd, to); err != nil {
			return nil, nil, err
		}
		b = peer.RelayerSide()
	case toRPC != "" && toHome != "":
		first, _, _ := strings.Cut(toRPC, ",")
		id, err := relayer.ChainIDAt(ctx, strings.TrimSpace(first))
		if err != nil {
			return nil, nil, fmt.Errorf("--to-rpc %s: %w", toRPC, err)
		}
		if toName == "" {
			toName = revisionRe.ReplaceAllString(id, "")
		}
		if b, err = constellation.OutsideSide(toName, toRPC, toHome, id); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, errors.New("name the counterparty: --to <chain of this home>, or --to-rpc <node> with --to-home <selfchaind client home>")
	}
	if a.ChainID == b.ChainID {
		return nil, nil, fmt.Errorf("%s and %s have the same chain id %s: a chain cannot bridge to itself", a.Name, b.Name, a.ChainID)
	}
	br := &constellation.Bridge{Counterparty: b.Name, A: a, B: b}
	if old, err := chain.LoadBridge(b.Name); err == nil {
		if old.B.ChainID != b.ChainID {
			return nil, nil, fmt.Errorf("chain %s already has a bridge named %s, to chain %s (not %s): pick another --to-name", chain.Spec.Name, b.Name, old.B.ChainID, b.ChainID)
		}
		br.A.ClientID, br.B.ClientID = old.A.ClientID, old.B.ClientID
	}
	return br, peer, nil
}

func runBridge(ctx context.Context, cmd *cobra.Command, chain, peer *constellation.Chain, br *constellation.Bridge) error {
	w := cmd.OutOrStdout()
	for _, s := range []relayer.Side{br.A, br.B} {
		addr, created, err := relayer.EnsureKey(s)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(w, "created relayer key %q on %s: %s (in %s)\n", s.Key, s.ChainID, addr, s.Home)
		}
	}
	funds, err := relayer.CheckFunds(ctx, br.A, br.B)
	if err != nil {
		return err
	}
	var empty []string
	for _, f := range funds {
		if f.Empty {
			empty = append(empty, fmt.Sprintf("  relayer key %s (%s) on %s has %s; it needs fees: send it some with\n    selfchaind --home %s tx bank send <funded key> %s 10000000%s --node %s --wait",
				f.Side.Key, f.Address, f.Side.ChainID, f.Balance, f.Side.Home, f.Address, f.Side.Denom, f.Side.RPC))
		}
	}
	if len(empty) > 0 {
		return fmt.Errorf("the relayer pays the fees of the light clients and of every relayed batch, and bridge funds nothing itself:\n%s\nthen run this command again", strings.Join(empty, "\n"))
	}
	save := func(a, b relayer.Side) error {
		br.A, br.B = a, b
		if err := chain.SaveBridge(br); err != nil {
			return err
		}
		if peer != nil { // the counterparty's folder records the same bridge, mirrored
			return peer.SaveBridge(&constellation.Bridge{Counterparty: a.Name, A: b, B: a})
		}
		return nil
	}
	trusting, _ := cmd.Flags().GetDuration("trusting-period")
	if trusting > 0 {
		// Checked against both chains' unbonding before anything is created.
		for _, s := range []relayer.Side{br.A, br.B} {
			if _, _, err := relayer.ClientParamsFor(ctx, s, trusting); err != nil {
				return err
			}
		}
	}
	res, err := relayer.Link(ctx, br.A, br.B, trusting, save)
	if err != nil {
		return err
	}
	if err := save(res.A, res.B); err != nil {
		return err
	}
	if len(res.Actions) == 0 {
		fmt.Fprintf(w, "%s and %s are already bridged: nothing to do\n", res.A.Name, res.B.Name)
	}
	for _, a := range res.Actions {
		fmt.Fprintln(w, a)
	}
	fmt.Fprintf(w, "bridge %s (%s, client %s of %s) <-> %s (%s, client %s of %s)\n", res.A.Name, res.A.ChainID, res.A.ClientID, res.B.ChainID, res.B.Name, res.B.ChainID, res.B.ClientID, res.A.ChainID)
	for _, f := range funds {
		fmt.Fprintf(w, "relayer key on %s: %s, %s\n", f.Side.ChainID, f.Address, f.Balance)
	}
	fmt.Fprintf(w, "start relaying with: constellation relay %s --to %s\n", chain.Spec.Name, br.Counterparty)
	fmt.Fprintf(w, "send tokens with:    selfchaind tx bridge transfer <key> %s <receiver on %s> <amount>   (on %s)\n", res.A.ClientID, res.B.ChainID, res.A.ChainID)
	return nil
}
