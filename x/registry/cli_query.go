package registry

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto/seal"
)

// GetQueryCmd is `query registry`.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Query the node directory"}
	cmd.AddCommand(nodeQueryCmd(), nodesQueryCmd(), byOwnerQueryCmd(), byKeyQueryCmd(), resolveQueryCmd(), paramsQueryCmd())
	return cmd
}

func nodeQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "node <node-id>",
		Short: "Query one node: endpoints, keys, capabilities, tier, liveness",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Node(cmd.Context(), &QueryNodeRequest{NodeId: args[0]})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { cli.KV(w, nodeRespPairs(resp)...) })
		},
	}
}

func byKeyQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "by-key <selfpub1...|type:hex|key-name>",
		Short: "Find the node holding a key: an encryption key (selfpub1...) or a signing key (<type>:<hex> or a keyring key)",
		Long: `Finds the node whose signing or encryption key this is, including a key rotated away
whose grace period has not ended, so a peer presenting a key can be looked up.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &QueryNodeByKeyRequest{}
			if strings.HasPrefix(args[0], seal.PublicKeyPrefix+"1") {
				pk, err := seal.ParsePublicKeyString(args[0])
				if err != nil {
					return err
				}
				req.KeyType, req.Key = EncryptionKeyType, pk.Bytes()
			} else {
				pk, err := cli.ParsePubKey(cmd, args[0])
				if err != nil {
					return err
				}
				req.KeyType, req.Key = pk.Type, pk.Key
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).NodeByKey(cmd.Context(), req)
			if err != nil {
				if client.IsNotFound(err) {
					return fmt.Errorf("no node holds this %s key", req.KeyType)
				}
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { cli.KV(w, nodeRespPairs(resp)...) })
		},
	}
}

// nodeRespPairs is a node query's answer: the node, then its backup record
// (named by BackupReliability's fields) when it has held backups.
func nodeRespPairs(resp *QueryNodeResponse) []any {
	pairs := nodePairs(&resp.Node, resp.QuotaBytes)
	if b := resp.BackupReliability; b != nil {
		pairs = append(pairs,
			"backup_reliability.score_ppm", b.ScorePpm,
			"backup_reliability.answered", b.Answered,
			"backup_reliability.missed", b.Missed,
			"backup_reliability.slashed", b.Slashed,
			"backup_reliability.open_agreements", b.OpenAgreements)
	}
	return pairs
}

// nodePairs is one node as KV pairs, named by the fields of NodeEntry (node.*,
// liveness.*) and the response's quota_bytes, in one aligned block.
func nodePairs(e *NodeEntry, quota uint64) []any {
	n := &e.Node
	pairs := []any{
		"id", n.Id,
		"owner", n.Owner,
		"status", e.Liveness.Status,
		"last_heartbeat_height", e.Liveness.LastHeartbeatHeight,
		"endpoints", strings.Join(n.Endpoints, " "),
		"signing_key", cli.Fingerprint(n.SigningKey.Type, n.SigningKey.Key),
		"signing_key_id", n.SigningKeyId,
		"signing_key_height", n.SigningKeyHeight,
		"encryption_key_id", n.EncryptionKeyId,
		"encryption_key_height", n.EncryptionKeyHeight,
		"models", strings.Join(n.Capabilities.Models, ","),
		"storage_bytes", n.Capabilities.StorageBytes,
		"tier", n.Tier,
		"quota_bytes", quota,
		"region", n.Region,
		"version", n.Version,
	}
	if n.PrevKeysValidUntil > 0 && (n.PrevSigningKey != nil || len(n.PrevEncryptionKey) > 0) {
		pairs = append(pairs, "prev_keys_valid_until", n.PrevKeysValidUntil)
	}
	return pairs
}

// printNodes is a list of nodes as a table; with quotas (quotas[i] is
// nodes[i]'s, as nodes and by-owner answer) a quota_bytes column.
func printNodes(w io.Writer, nodes []NodeEntry, quotas []uint64) {
	header := []string{"id", "owner", "status", "tier", "region", "models", "endpoints"}
	if quotas != nil {
		header = append(header, "quota_bytes")
	}
	rows := make([][]any, len(nodes))
	for i := range nodes {
		n := &nodes[i].Node
		rows[i] = []any{n.Id, n.Owner, nodes[i].Liveness.Status, n.Tier, n.Region, strings.Join(n.Capabilities.Models, ","), strings.Join(n.Endpoints, " ")}
		if quotas != nil {
			var quota any = "?" // fewer quotas than nodes: a node older than the field
			if i < len(quotas) {
				quota = quotas[i]
			}
			rows[i] = append(rows[i], quota)
		}
	}
	cli.Table(w, header, rows)
}

func nodesQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "nodes [--model m] [--region r] [--tier t] [--status s]",
		Short:   "List nodes, filtered (paginated)",
		Example: `  selfchaind query registry nodes --model llama-3.1-8b --region eu-west --status active`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			model, _ := f.GetString("model")
			region, _ := f.GetString(flagRegRegion)
			tierS, _ := f.GetString(flagRegTier)
			statusS, _ := f.GetString(flagRegStatus)
			tier, err := parseTier(tierS)
			if err != nil {
				return err
			}
			status, err := parseNodeStatus(statusS)
			if err != nil {
				return err
			}
			page, err := cli.ReadPageRequest(cmd)
			if err != nil {
				return err
			}
			req := &QueryNodesRequest{Model: model, Region: region, Tier: tier, Status: status, Pagination: page}
			resp, err := cli.QueryClient(cmd, NewQueryClient).Nodes(cmd.Context(), req)
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				printNodes(w, resp.Nodes, append([]uint64{}, resp.QuotaBytes...))
				cli.PrintNextPage(w, resp.Pagination)
			})
		},
	}
	f := cmd.Flags()
	f.String("model", "", "only nodes serving this model")
	f.String(flagRegRegion, "", "only nodes in this region")
	f.String(flagRegTier, "", "only this tier: free, growth, pro, enterprise")
	f.String(flagRegStatus, "", "only this status: active, stale, expired")
	cli.AddPageFlags(cmd, DefaultPageLimit, MaxPageLimit)
	return cmd
}

func byOwnerQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "by-owner <address-or-key>",
		Short: "List an owner's nodes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			resp, err := cli.QueryClient(cmd, NewQueryClient).NodesByOwner(cmd.Context(), &QueryNodesByOwnerRequest{Owner: addr.String()})
			if err != nil {
				return err
			}
			return cli.PrintResult(cmd, resp, func(w io.Writer) { printNodes(w, resp.Nodes, append([]uint64{}, resp.QuotaBytes...)) })
		},
	}
}

func resolveQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "resolve <owner-address-or-key>",
		Short: "An owner's endpoints and keys with ICS-23 proofs; --verify checks them against the next header's app hash",
		Long: `Returns the owner's nodes and the proofs of the stored bytes at height H. With --verify the
proofs are checked against the app hash in the header of H+1 fetched from --node (waiting
for it to be committed). That trusts --node for the header; a light-client user checks the
proofs against a header its light client verified instead (registry.VerifyResolve).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := cli.ResolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := cli.NewClient(cmd)
			if err != nil {
				return err
			}
			resp, err := NewQueryClient(c).Resolve(cmd.Context(), &QueryResolveRequest{Owner: addr.String()})
			if err != nil {
				return err
			}
			// verified is also in the JSON (docs/CLI.md, Output: what a command
			// checked beyond the response is added under the name text uses).
			verified, extra := "no (use --verify)", map[string]any{"verified": false}
			if v, _ := cmd.Flags().GetBool(flagRegVerify); v {
				appHash, err := c.AppHashAfter(cmd.Context(), resp.Height, 30*time.Second)
				if err != nil {
					return err
				}
				if _, err := VerifyResolve(appHash, addr, resp); err != nil {
					return fmt.Errorf("proof verification failed: %w", err)
				}
				verified = fmt.Sprintf("yes, against the app hash %X of header %d", appHash, resp.Height+1)
				extra = map[string]any{"verified": true, "verified_app_hash": fmt.Sprintf("%X", appHash), "verified_header": resp.Height + 1}
			}
			return cli.PrintResultWith(cmd, resp, extra, func(w io.Writer) {
				cli.KV(w, "owner", addr.String(), "height", resp.Height, "proofs", len(resp.Proofs), "verified", verified)
				fmt.Fprintln(w)
				printNodes(w, resp.Nodes, nil)
			})
		},
	}
	cmd.Flags().Bool(flagRegVerify, false, "verify the proofs against the app hash of header height+1 from --node")
	return cmd
}

func paramsQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "params",
		Short: "Show the registry params: deposit, per-owner limit, liveness windows, tier quotas",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, err := cli.QueryClient(cmd, NewQueryClient).Params(cmd.Context(), &QueryParamsRequest{})
			if err != nil {
				return err
			}
			p := resp.Params
			return cli.PrintResult(cmd, resp, func(w io.Writer) {
				q := p.TierQuotas
				cli.KV(w, "deposit", p.Deposit.String(), "max_nodes_per_owner", p.MaxNodesPerOwner,
					"stale_after_blocks", p.StaleAfterBlocks, "expire_after_blocks", p.ExpireAfterBlocks,
					"max_transitions_per_block", p.MaxTransitionsPerBlock, "key_rotation_grace_blocks", p.KeyRotationGraceBlocks,
					"tier_quotas", fmt.Sprintf("free %d, growth %d, pro %d (bytes; enterprise: per node)", q.Free, q.Growth, q.Pro))
			})
		},
	}
}

func parseNodeStatus(s string) (Status, error) {
	if s == "" {
		return STATUS_UNSPECIFIED, nil
	}
	st, ok := Status_value["STATUS_"+strings.ToUpper(s)]
	if !ok || st == 0 {
		return 0, fmt.Errorf("unknown status %q: want active, stale or expired", s)
	}
	return Status(st), nil
}
