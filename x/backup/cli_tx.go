package backup

import (
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Flags of the backup tx commands.
const (
	flagQuota      = "quota"
	flagPrice      = "price"
	flagEscrow     = "escrow"
	flagCollateral = "collateral"
	flagNotice     = "notice-epochs"
)

// GetTxCmd is `tx backup`.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "backup", Short: "Propose, accept, commit, prove and end encrypted-backup agreements"}
	cmd.AddCommand(proposeCmd(), acceptCmd(), rejectCmd(), commitManifestCmd(), proveCmd(), endCmd())
	return cmd
}

// ParseBytes reads a size: a number of bytes with an optional unit (B, KiB,
// MiB, GiB, TiB; or KB, MB, GB, TB in powers of 1000).
func ParseBytes(s string) (uint64, error) {
	units := []struct {
		suffix string
		mul    uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	num, mul := strings.TrimSpace(s), uint64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mul = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mul
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n == 0 || n > ^uint64(0)/mul {
		return 0, fmt.Errorf("size %q: want a positive whole number of bytes with an optional unit, e.g. 10GiB", s)
	}
	return n * mul, nil
}

func parseCoin(flag, s string, optional bool) (types.Coin, error) {
	if s == "" && optional {
		return types.Coin{}, nil
	}
	s = strings.TrimSuffix(s, "/epoch")
	cs, err := cli.ParseAmount(s)
	if err != nil {
		return types.Coin{}, fmt.Errorf("--%s: %w", flag, err)
	}
	if len(cs) != 1 {
		return types.Coin{}, fmt.Errorf("--%s %q: give exactly one denomination, e.g. 5uself", flag, s)
	}
	return cs[0], nil
}

func parseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("agreement id %q: want a positive number", s)
	}
	return id, nil
}

func proposeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "propose <holder-node-id> --quota SIZE --price COIN --escrow COIN [--collateral COIN] [--notice-epochs N] --from <owner-key>",
		Short: "Offer a registered node an agreement to hold an encrypted backup; the escrow is locked until it ends",
		Long: `Proposes a backup agreement to a node of x/registry that advertises storage. The
escrow (same denom as the price, at least one epoch's price) moves to the module
and pays the holder price per epoch served. The holder accepts by locking at least
--collateral, part of which is slashed to you if it repeatedly fails to prove it
still holds your data. Either side may end the agreement with --notice-epochs notice.`,
		Example: `  selfchaind tx backup propose 3f2a...c9 --quota 10GiB --price 5uself --escrow 500uself --collateral 1000000uself --from alice --wait`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			qs, _ := f.GetString(flagQuota)
			quota, err := ParseBytes(qs)
			if err != nil {
				return fmt.Errorf("--%s: %w", flagQuota, err)
			}
			ps, _ := f.GetString(flagPrice)
			price, err := parseCoin(flagPrice, ps, false)
			if err != nil {
				return err
			}
			es, _ := f.GetString(flagEscrow)
			escrow, err := parseCoin(flagEscrow, es, false)
			if err != nil {
				return err
			}
			cs, _ := f.GetString(flagCollateral)
			collateral, err := parseCoin(flagCollateral, cs, true)
			if err != nil {
				return err
			}
			notice, _ := f.GetUint64(flagNotice)
			return cli.RunTxFrom(cmd, "signing", func(signer crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgPropose{Owner: signer.String(), HolderNodeId: args[0], QuotaBytes: quota, PricePerEpoch: price,
					Escrow: escrow, NoticeEpochs: notice, Collateral: collateral}}, nil
			})
		},
	}
	cmd.Flags().String(flagQuota, "", "space to reserve on the holder, e.g. 10GiB")
	cmd.Flags().String(flagPrice, "", "price per epoch, e.g. 5uself (or 5uself/epoch)")
	cmd.Flags().String(flagEscrow, "", "escrow locked to pay the holder, e.g. 500uself")
	cmd.Flags().String(flagCollateral, "", "collateral the holder must lock to accept (default: none)")
	cmd.Flags().Uint64(flagNotice, 1, "epochs of notice either side must give to end")
	cli.AddFromFlag(cmd, "owner")
	return cmd
}

func acceptCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "accept <agreement-id> [--collateral COIN] --from <holder-node-owner-key>",
		Short:   "Accept a proposed agreement as the holder node's owner, locking the collateral",
		Example: "  selfchaind tx backup accept 1 --collateral 1000000uself --from holder --wait",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			cs, _ := cmd.Flags().GetString(flagCollateral)
			collateral, err := parseCoin(flagCollateral, cs, true)
			if err != nil {
				return err
			}
			return cli.RunTxFrom(cmd, "signing", func(signer crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgAccept{Holder: signer.String(), AgreementId: id, Collateral: collateral}}, nil
			})
		},
	}
	cmd.Flags().String(flagCollateral, "", "collateral to lock (at least the proposal's)")
	cli.AddFromFlag(cmd, "holder node's owner")
	return cmd
}

func rejectCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "reject <agreement-id> --from <key>",
		Short:   "Reject (holder) or cancel (owner) a proposed agreement; the escrow goes back to the owner",
		Example: "  selfchaind tx backup reject 1 --from alice --wait",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			return cli.RunTxFrom(cmd, "signing", func(signer crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgReject{SignerAddr: signer.String(), AgreementId: id}}, nil
			})
		},
	}
	cli.AddFromFlag(cmd, "owner or holder node's owner")
	return cmd
}

func commitManifestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "commit-manifest <agreement-id> <revision> <root-hex> <chunk-count> <total-bytes> --from <owner-key>",
		Short: "Commit a new manifest root (the backup agent does this after an upload)",
		Long: `Moves the agreement to a new manifest revision (the current one + 1): the
Merkle root over the stored chunks' leaves (x/backup/proof.go), their number and
total ciphertext bytes (at most the quota). Open challenges against the old root are
cancelled.`,
		Example: "  selfchaind tx backup commit-manifest 1 1 9f86d0...0a08 1200 1258291200 --from alice --wait",
		Args:    cobra.ExactArgs(5),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			rev, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("revision %q: %w", args[1], err)
			}
			root, err := hex.DecodeString(args[2])
			if err != nil || len(root) != 32 {
				return fmt.Errorf("root %q: want 64 hex digits", args[2])
			}
			count, err := strconv.ParseUint(args[3], 10, 64)
			if err != nil {
				return fmt.Errorf("chunk-count %q: %w", args[3], err)
			}
			total, err := ParseBytes(args[4])
			if err != nil {
				return fmt.Errorf("total-bytes: %w", err)
			}
			return cli.RunTxFrom(cmd, "signing", func(signer crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgCommitManifest{Owner: signer.String(), AgreementId: id, Revision: rev, Root: root, ChunkCount: count, TotalBytes: total}}, nil
			})
		},
	}
	cli.AddFromFlag(cmd, "owner")
	return cmd
}

func proveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prove <agreement-id> <proof.json> --from <holder-key>",
		Short: "Answer an open challenge with a storage proof (selfchaind backup serve does this by itself)",
		Long: `Sends a storage proof read from a JSON file with the fields of MsgProveStorage
(chunk_index, and chunk_leaf, segment, segment_path, manifest_path in base64), as
BuildStorageProof makes it; holder and agreement_id come from the command line.`,
		Example: "  selfchaind tx backup prove 1 proof.json --from holder --wait",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			bz, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			var m MsgProveStorage
			if err := (&jsonpb.Unmarshaler{}).Unmarshal(strings.NewReader(string(bz)), &m); err != nil {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			return cli.RunTxFrom(cmd, "signing", func(signer crypto.Address) ([]runtime.Msg, error) {
				m.Holder, m.AgreementId = signer.String(), id
				return []runtime.Msg{&m}, nil
			})
		},
	}
	cli.AddFromFlag(cmd, "holder node's owner")
	return cmd
}

func endCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "end <agreement-id> --from <key>",
		Short:   "Give notice (owner or holder): the agreement ends notice_epochs after its next payment",
		Example: "  selfchaind tx backup end 1 --from alice --wait",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			return cli.RunTxFrom(cmd, "signing", func(signer crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgEnd{SignerAddr: signer.String(), AgreementId: id}}, nil
			})
		},
	}
	cli.AddFromFlag(cmd, "owner or holder node's owner")
	return cmd
}
