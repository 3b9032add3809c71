package backup

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/backup/agent"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

const flagToAgreement = "to-agreement"

func replicateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replicate --to-agreement <new-id> --agreements 2,3 --from <key>",
		Short: "Copy the backup held under --agreements to the holder of a new agreement (after one failed)",
		Long: `Replaces a failed or ending agreement in one step, without the source directory: every chunk
of the committed manifests of --agreements (healthy ones; failed ones are left out) is downloaded,
checked against the leaf committed on chain and opened with your key, uploaded unchanged to the
holder of --to-agreement, and that agreement's manifest is committed. Chunks the new holder already
has are not sent again. Afterwards name the new agreement in 'backup run --agreements'.`,
		Example: `  selfchaind tx backup propose <holder-node-id> --quota 10GiB --price 5uself --escrow 500uself --collateral 1000000uself --from alice --wait
  selfchaind backup replicate --to-agreement 4 --agreements 2,3 --from alice
  selfchaind backup run ~/data --agreements 2,3,4 --from alice`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := clientcli.Settings(cmd)
			to := v.GetUint64(flagToAgreement)
			if to == 0 {
				return fmt.Errorf("--%s is required: the new agreement (see 'query backup agreements <owner>')", flagToAgreement)
			}
			a, done, err := newAgent(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			printWarnings(cmd, a)
			dst, err := targetsFor(cmd, a, to)
			if err != nil {
				return err
			}
			start := time.Now()
			r, err := a.Replicate(cmd.Context(), dst)
			if err != nil {
				return err
			}
			return clientcli.PrintResult(cmd, r, func(w io.Writer) {
				committed := "no (already up to date)"
				if r.Committed != nil {
					committed = fmt.Sprintf("revision %d (%d chunks)", r.Committed.Revision, r.Committed.ChunkCount)
				}
				clientcli.KV(w, "agreement", r.Agreement, "from", joinIDs(r.Sources), "chunks", r.Chunks, "copied", r.Copied,
					"already there", r.Present, "uploaded", r.Bytes, "committed", committed, "seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
				fmt.Fprintf(w, "next: selfchaind backup run <dir> --agreements %s,%d\n", joinIDs(r.Sources), r.Agreement)
			})
		},
	}
	agentFlags(cmd)
	cmd.Flags().Uint64(flagToAgreement, 0, "the new agreement to copy the backup to (active, yours)")
	return cmd
}

// targetsFor resolves one agreement's holder address as --agreements does
// (--holder-url, else the registry endpoint).
func targetsFor(cmd *cobra.Command, a *agent.Agent, id uint64) (agent.Target, error) {
	for _, s := range clientcli.Settings(cmd).GetStringSlice(flagHolderURL) {
		if n, u, ok := strings.Cut(s, "="); ok && n == strconv.FormatUint(id, 10) && u != "" {
			return agent.Target{Agreement: id, URL: u}, nil
		}
	}
	u, err := registryURL(cmd, a.Chain, id)
	if err != nil {
		return agent.Target{}, err
	}
	return agent.Target{Agreement: id, URL: u}, nil
}

func joinIDs(ids []uint64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatUint(id, 10)
	}
	return strings.Join(s, ",")
}

// printWarnings tells the user on stderr about named agreements that cannot
// keep the backup, and how to replace them.
func printWarnings(cmd *cobra.Command, a *agent.Agent) {
	for _, w := range a.Warnings(cmd.Context()) {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
}

// warnAgreements is printWarnings for commands that need no agent (the local
// snapshot list): with --agreements given it reads them from the chain; a
// chain it cannot reach is reported, not an error.
func warnAgreements(cmd *cobra.Command) {
	v := clientcli.Settings(cmd)
	if strings.TrimSpace(v.GetString(flagAgreements)) == "" {
		return
	}
	chain, err := nodeChain(cmd, "", false)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: could not check the agreements: %v\n", err)
		return
	}
	a := &agent.Agent{Chain: chain}
	for _, s := range strings.Split(v.GetString(flagAgreements), ",") {
		if id, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64); err == nil {
			a.Targets = append(a.Targets, agent.Target{Agreement: id})
		}
	}
	printWarnings(cmd, a)
}
