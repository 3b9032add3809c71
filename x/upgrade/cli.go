package upgrade

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
)

// Flags of the upgrade tx commands.
const (
	flagHeight = "height"
	flagInfo   = "info"
)

// GetTxCmd is `tx upgrade`.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "upgrade", Short: "Plan or cancel a software upgrade (the upgrade authority only)"}
	cmd.AddCommand(planCmd(), cancelCmd())
	return cmd
}

func planCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan <name> --height H [--info TEXT] --from <authority-key>",
		Short: "Schedule an upgrade: every node halts before block H until it runs a binary with the handler <name>",
		Long: `Schedule a software upgrade. At height H every node stops before executing the
block, logs the plan, writes <home>/data/upgrade-info.json (Cosmovisor's format) and
exits with code 3. Restart it with the binary that carries the handler <name>; it
applies the plan's store changes and migrations, then executes block H. A new plan
replaces one not yet executed. See docs/OPERATIONS.md "Upgrades".`,
		Example: `  selfchaind tx upgrade plan v2 --height 1200 --info '{"binaries":{"linux/amd64":"https://..."}}' --from authority --wait`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			height, _ := cmd.Flags().GetInt64(flagHeight)
			info, _ := cmd.Flags().GetString(flagInfo)
			return cli.RunTxFrom(cmd, "upgrade authority's", func(signer crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgSoftwareUpgrade{Authority: signer.String(), Plan: Plan{Name: args[0], Height: height, Info: info}}}, nil
			})
		},
	}
	cli.AddFromFlag(cmd, "upgrade authority")
	cmd.Flags().Int64(flagHeight, 0, "block height at which nodes halt for the upgrade")
	cmd.Flags().String(flagInfo, "", "free text for operators and tools, e.g. Cosmovisor's binaries JSON")
	return cmd
}

func cancelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "cancel --from <authority-key>",
		Short:   "Cancel the scheduled upgrade (before its height)",
		Example: `  selfchaind tx upgrade cancel --from authority --wait`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cli.RunTxFrom(cmd, "upgrade authority's", func(signer crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgCancelUpgrade{Authority: signer.String()}}, nil
			})
		},
	}
	cli.AddFromFlag(cmd, "upgrade authority")
	return cmd
}

// GetQueryCmd is `query upgrade`.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "upgrade", Short: "Query the scheduled upgrade, applied upgrades and module versions"}
	cmd.AddCommand(planQueryCmd(), appliedQueryCmd(), versionsQueryCmd(), paramsQueryCmd())
	return cmd
}

func planQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "plan",
		Short: "Show the scheduled upgrade (name, height, info), if any",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).CurrentPlan(cmd.Context(), &QueryCurrentPlanRequest{})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				if resp.Plan == nil {
					io.WriteString(w, "no upgrade scheduled\n")
					return
				}
				cli.KV(w, "name", resp.Plan.Name, "height", resp.Plan.Height, "info", resp.Plan.Info)
			})
		},
	}
}

func appliedQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "applied <name>",
		Short: "Show the height at which the upgrade <name> was applied (0: never)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).AppliedPlan(cmd.Context(), &QueryAppliedPlanRequest{Name: args[0]})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { cli.KV(w, "height", resp.Height) })
		},
	}
}

func versionsQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "module-versions [module]",
		Short: "List each module's consensus version as recorded in state",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &QueryModuleVersionsRequest{}
			if len(args) == 1 {
				req.ModuleName = args[0]
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).ModuleVersions(cmd.Context(), req)
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				rows := make([][]any, len(resp.ModuleVersions))
				for i, mv := range resp.ModuleVersions {
					rows[i] = []any{mv.Name, mv.Version}
				}
				cli.Table(w, []string{"name", "version"}, rows)
			})
		},
	}
}

func paramsQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "params",
		Short: "Show the upgrade authority",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Params(cmd.Context(), &QueryParamsRequest{})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { cli.KV(w, "authority", resp.Params.Authority) })
		},
	}
}
