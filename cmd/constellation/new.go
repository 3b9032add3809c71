package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/constellation"
	"github.com/selfchain/selfchain/crypto"
)

func newCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "new <name>",
		Short: "Create a chain: spec, validator homes with keys, a genesis every validator signed",
		Long: `Create chain <name> under --home: constellation.yaml (the spec), one selfchaind
home per validator (nodes/node1..N) with its keys and ports, one genesis holding
every validator and the genesis accounts funded with the chain's own token, each
validator's signature of that genesis, and a client home (client/) whose test
keyring holds the genesis accounts' keys.

Amounts (--supply, --account) are in the base denom. Supply not given to a
listed account goes to a "treasury" key. --account takes <key-name>=<amount>
(a key is created) or <address>=<amount>.

Everything is built in a temporary folder and renamed into place: a failure
leaves nothing behind. Edit constellation.yaml and run "constellation apply"
to rebuild the chain until it is first started.`,
		Example: `  constellation new acme --validators 4 --denom uacme --token-name ACME --supply 1000000000 \
      --account alice=1000000 --account bob=500 --consensus-key ml_dsa_65 --poai-mode authority
  constellation new demo --validators 1 --block-time 500ms
  constellation new acme --spec ./acme.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: runNew,
	}
	f := cmd.Flags()
	f.Int("validators", 4, fmt.Sprintf("number of validators (1-%d)", constellation.MaxValidators))
	f.String("chain-id", "", "chain id, <name>-<N> (default <name>-1)")
	f.String("denom", "", "base denom of the chain's token (default u<name>)")
	f.String("token-name", "", "display name of the token (default: the denom without its leading u, upper-cased)")
	f.Uint32("decimals", 6, "decimals between the display unit and the base denom")
	f.String("supply", "1000000000000000", "total supply, in the base denom")
	f.StringArray("account", nil, "genesis account <key-name|address>=<amount> (repeatable)")
	f.String("consensus-key", "ed25519", "validator consensus key type: ed25519 or ml_dsa_65")
	f.String("poai-mode", constellation.PoAIModeAuthority, "PoAI mode: authority (the genesis set stays the validator set) or ai")
	f.String("poai-model", "", "AI model the nodes run for PoAI (recorded on each genesis validator; the LLM's model with --poai-analyzer llm)")
	f.String("poai-analyzer", "", "each node's app.toml [poai] analyzer: builtin, llm or off (default builtin; llm when --poai-llm-endpoint is given)")
	f.String("poai-llm-endpoint", "", "OpenAI-compatible chat-completions API base for --poai-analyzer llm, e.g. http://127.0.0.1:11434/v1")
	f.String("poai-llm-api-key-env", "", "environment variable holding the LLM endpoint's bearer token (optional)")
	f.Duration("poai-llm-timeout", 0, "each node's [poai.llm] timeout: how long a model call may take (default 2s; see docs/modules/poai-voteext.md)")
	f.Int("poai-llm-max-txs", 0, "each node's [poai.llm] max-txs: the riskiest txs of a block the model sees (default 64)")
	f.Duration("block-time", constellation.DefaultBlockTime, "time between blocks")
	f.Int("base-port", 0, "first port of the chain's block (default: the next free block from 27000)")
	f.String("bech32-prefix", "", "address prefix (default: the chain name without dashes)")
	f.Duration("restart-backoff", time.Second, "first delay before the supervisor restarts a crashed node (doubles up to 30s)")
	f.String("log-level", "info", "the nodes' log level")
	f.String("spec", "", "read the whole spec from this constellation.yaml instead of flags")
	addOutputFlag(cmd)
	return cmd
}

func runNew(cmd *cobra.Command, args []string) error {
	home, err := homeFlag(cmd)
	if err != nil {
		return err
	}
	asJSON, err := outputJSON(cmd)
	if err != nil {
		return err
	}
	spec, err := specFromFlags(cmd, args[0])
	if err != nil {
		return err
	}
	start := time.Now()
	chain, err := constellation.Create(home, spec)
	if err != nil {
		return err
	}
	took := time.Since(start)
	if asJSON {
		return printJSON(cmd.OutOrStdout(), struct {
			Chain   string               `json:"chain"`
			Dir     string               `json:"dir"`
			Spec    *constellation.Spec  `json:"spec"`
			Ports   constellation.Layout `json:"ports"`
			Seconds float64              `json:"seconds"`
		}{spec.Name, chain.Dir, spec, chain.Layout, took.Seconds()})
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "created chain %s (%s) in %s in %s\n", spec.Name, spec.ChainID, chain.Dir, took.Round(time.Millisecond))
	fmt.Fprintf(w, "token %s (%s, %d decimals), supply %s%s; PoAI mode %s, analyzer %s; block time %s; addresses %s1...\n",
		spec.Token.DisplayName, spec.Token.Denom, spec.Token.Decimals, spec.Token.Supply, spec.Token.Denom, spec.PoAIMode, spec.PoAIAnalyzer, spec.BlockTime, spec.Bech32Prefix)
	fmt.Fprintf(w, "validators: %d%s stake each, operated by keys node1-operator..node%d-operator", constellation.ValidatorStake, spec.Token.Denom, spec.Validators)
	if spec.PoAIMode == constellation.PoAIModeAuthority {
		fmt.Fprintf(w, "; PoAI params admin: key %s", constellation.AdminName)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tP2P\tRPC\tMETRICS")
	for i, p := range chain.Layout.Nodes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", constellation.NodeName(i), p.P2P, p.RPC, p.Metrics)
	}
	tw.Flush()
	fmt.Fprintf(w, "chain health: http://127.0.0.1:%d/metrics (while up)\n", chain.Layout.Chain)
	fmt.Fprintf(w, "accounts: selfchaind --home %s keys list\n", chain.ClientHome())
	fmt.Fprintf(w, "\nnext: constellation up %s\n", spec.Name)
	return nil
}

func specFromFlags(cmd *cobra.Command, name string) (*constellation.Spec, error) {
	f := cmd.Flags()
	if path, _ := f.GetString("spec"); path != "" {
		bz, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		spec, err := constellation.ParseSpec(bz)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if spec.Name != name {
			return nil, fmt.Errorf("%s names chain %q, not %q", path, spec.Name, name)
		}
		return spec, nil
	}
	s := &constellation.Spec{Name: name}
	s.Validators, _ = f.GetInt("validators")
	s.ChainID, _ = f.GetString("chain-id")
	if f.Changed("chain-id") && s.ChainID == "" {
		return nil, fmt.Errorf("invalid chain id \"\": want <name>-<N>, e.g. %s-1", name)
	}
	s.Token.Denom, _ = f.GetString("denom")
	if s.Token.Denom == "" {
		s.Token.Denom = "u" + strings.ReplaceAll(name, "-", "")
	}
	s.Token.DisplayName, _ = f.GetString("token-name")
	s.Token.Decimals, _ = f.GetUint32("decimals")
	s.Token.Supply, _ = f.GetString("supply")
	accounts, _ := f.GetStringArray("account")
	for _, a := range accounts {
		who, amt, ok := strings.Cut(a, "=")
		if !ok || who == "" {
			return nil, fmt.Errorf("invalid --account %q: want <key-name>=<amount> or <address>=<amount>, e.g. alice=1000000", a)
		}
		if strings.Contains(who, "1") && len(who) > 30 {
			s.Token.Accounts = append(s.Token.Accounts, constellation.Account{Address: who, Amount: amt})
		} else {
			s.Token.Accounts = append(s.Token.Accounts, constellation.Account{Name: who, Amount: amt})
		}
	}
	s.ConsensusKey, _ = f.GetString("consensus-key")
	s.PoAIMode, _ = f.GetString("poai-mode")
	s.PoAIModel, _ = f.GetString("poai-model")
	s.PoAIAnalyzer, _ = f.GetString("poai-analyzer")
	s.PoAILLMEndpoint, _ = f.GetString("poai-llm-endpoint")
	s.PoAILLMAPIKeyEnv, _ = f.GetString("poai-llm-api-key-env")
	s.PoAILLMTimeout.Duration, _ = f.GetDuration("poai-llm-timeout")
	s.PoAILLMMaxTxs, _ = f.GetInt("poai-llm-max-txs")
	bt, _ := f.GetDuration("block-time")
	s.BlockTime.Duration = bt
	s.BasePort, _ = f.GetInt("base-port")
	s.Bech32Prefix, _ = f.GetString("bech32-prefix")
	if s.Bech32Prefix == "" {
		s.Bech32Prefix = strings.ReplaceAll(name, "-", "")
		if !crypto.ValidBech32Prefix(s.Bech32Prefix) {
			s.Bech32Prefix = crypto.Bech32Prefix
		}
	}
	rb, _ := f.GetDuration("restart-backoff")
	s.Supervisor.RestartBackoff.Duration = rb
	s.Supervisor.LogLevel, _ = f.GetString("log-level")
	if s.Validators == 0 {
		return nil, fmt.Errorf("invalid validator count 0: want 1 to %d", constellation.MaxValidators)
	}
	return s, nil
}

func applyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "apply <chain>",
		Short: "Rebuild a chain from its edited constellation.yaml (only before its first start)",
		Long: `Rebuild chain <chain> from <home>/<chain>/constellation.yaml after you edited it:
homes, genesis, signatures. Node and account keys that still fit are kept.
Atomic like new. Refused once the chain has been started.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			chain, err := constellation.Apply(home, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "re-applied %s: %s, chain id %s, ports %d..%d\n", chain.Spec.Name, plural(chain.Spec.Validators, "validator"),
				chain.Spec.ChainID, chain.Layout.Base, chain.Layout.Base+constellation.Span(chain.Spec.Validators)-1)
			return nil
		},
	}
}

func listCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the chains under --home",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := homeFlag(cmd)
			if err != nil {
				return err
			}
			asJSON, err := outputJSON(cmd)
			if err != nil {
				return err
			}
			chains, errs := constellation.List(home)
			type row struct {
				Name       string `json:"name"`
				ChainID    string `json:"chain_id"`
				Validators int    `json:"validators"`
				Denom      string `json:"denom"`
				BasePort   int    `json:"base_port"`
				State      string `json:"state"`
				Dir        string `json:"dir"`
			}
			rows := []row{}
			for _, c := range chains {
				state := "created"
				if _, ok := c.SupervisorPID(); ok {
					state = "running"
				} else if c.Started() {
					state = "stopped"
				}
				rows = append(rows, row{c.Spec.Name, c.Spec.ChainID, c.Spec.Validators, c.Spec.Token.Denom, c.Layout.Base, state, c.Dir})
			}
			for _, e := range errs {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", e)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rows)
			}
			if len(rows) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no chains under %s: create one with `constellation new <name>`\n", home)
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCHAIN-ID\tVALIDATORS\tDENOM\tBASE-PORT\tSTATE")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\n", r.Name, r.ChainID, r.Validators, r.Denom, r.BasePort, r.State)
			}
			return tw.Flush()
		},
	}
	addOutputFlag(cmd)
	return cmd
}

func rmCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rm <chain>",
		Short: "Delete a chain's folder (keys, state, logs); --force stops it first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chain, err := openChain(cmd, args[0])
			if err != nil {
				return err
			}
			if force, _ := cmd.Flags().GetBool("force"); force {
				if err := chain.Down(); err != nil {
					return err
				}
			}
			if err := chain.Remove(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed chain %s (%s)\n", args[0], chain.Dir)
			return nil
		},
	}
	cmd.Flags().Bool("force", false, "stop the chain first if it is running")
	return cmd
}
