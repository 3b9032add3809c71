package backup

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client/cli"
)

// GetQueryCmd is `query backup`.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "backup", Short: "Query backup agreements, their challenges and holders' reliability"}
	cmd.AddCommand(agreementsQueryCmd(), agreementQueryCmd(), challengesQueryCmd(), holderQueryCmd(), paramsQueryCmd())
	return cmd
}

func agreementRows(as []Agreement) [][]any {
	rows := make([][]any, len(as))
	for i, a := range as {
		rows[i] = []any{a.Id, a.Owner, a.HolderNodeId, a.Status, a.QuotaBytes, a.Revision, a.ChunkCount, a.Escrow, a.Collateral}
	}
	return rows
}

var agreementColumns = []string{"id", "owner", "holder_node_id", "status", "quota_bytes", "revision", "chunk_count", "escrow", "collateral"}

func agreementsQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "agreements <owner>",
		Short: "List an owner's agreements (open ones, and closed ones until pruned)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			owner, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Agreements(cmd.Context(), &QueryAgreementsRequest{Owner: owner.String()})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { cli.Table(w, agreementColumns, agreementRows(resp.Agreements)) })
		},
	}
}

func agreementQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "agreement <id>",
		Short: "Query one agreement: terms, status, manifest, payments",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Agreement(cmd.Context(), &QueryAgreementRequest{Id: id})
			if err != nil {
				return err
			}
			a := resp.Agreement
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cli.KV(w, "id", a.Id, "owner", a.Owner, "holder_node_id", a.HolderNodeId, "holder", a.Holder, "status", a.Status,
					"quota_bytes", a.QuotaBytes, "price_per_epoch", a.PricePerEpoch, "escrow", a.Escrow, "collateral", a.Collateral,
					"notice_epochs", a.NoticeEpochs, "revision", a.Revision, "root", fmt.Sprintf("%X", a.Root), "chunk_count", a.ChunkCount,
					"total_bytes", a.TotalBytes, "next_payment_height", a.NextPaymentHeight, "end_height", a.EndHeight,
					"paid", a.Paid, "slashed", a.Slashed)
			})
		},
	}
}

func challengesQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "challenges <agreement-id>",
		Short: "Query an agreement's open challenge: chunk, seed, deadline and containment count",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Challenges(cmd.Context(), &QueryChallengesRequest{AgreementId: id})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				rows := make([][]any, len(resp.Challenges))
				for i, c := range resp.Challenges {
					rows[i] = []any{c.AgreementId, c.ChunkIndex, fmt.Sprintf("%X", c.Seed), c.DeadlineHeight, c.Containment}
				}
				cli.Table(w, []string{"agreement_id", "chunk_index", "seed", "deadline_height", "containment"}, rows)
			})
		},
	}
}

func holderQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "holder <node-id>",
		Short: "Query a holder node's agreements and reliability (proofs answered and missed, agreements slashed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Holder(cmd.Context(), &QueryHolderRequest{NodeId: args[0]})
			if err != nil {
				return err
			}
			s := resp.Stats
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				cli.KV(w, "node_id", resp.NodeId, "open_agreements", s.OpenAgreements, "used_bytes", s.UsedBytes,
					"proofs_answered", s.ProofsAnswered, "proofs_missed", s.ProofsMissed, "slashed", s.Slashed)
				fmt.Fprintln(w)
				cli.Table(w, agreementColumns, agreementRows(resp.Agreements))
			})
		},
	}
}

func paramsQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "params",
		Short: "Query the backup parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Params(cmd.Context(), &QueryParamsRequest{})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				p := resp.Params
				cli.KV(w, "epoch_blocks", p.EpochBlocks, "challenge_interval", p.ChallengeInterval, "challenges_per_block", p.ChallengesPerBlock,
					"proof_window", p.ProofWindow, "max_misses", p.MaxMisses, "slash_fraction_bps", p.SlashFractionBps,
					"max_agreements_per_owner", p.MaxAgreementsPerOwner, "max_agreements_per_holder", p.MaxAgreementsPerHolder,
					"max_chunk_count", p.MaxChunkCount, "max_notice_epochs", p.MaxNoticeEpochs, "retain_blocks", p.RetainBlocks)
			})
		},
	}
}
