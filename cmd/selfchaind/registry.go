package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

// Registry query paths (gRPC-style, answered by the app over abci_query).
const (
	pathRegistryNode     = "/selfchain.registry.v1.Query/Node"
	pathRegistryNodes    = "/selfchain.registry.v1.Query/Nodes"
	pathRegistryByOwner  = "/selfchain.registry.v1.Query/NodesByOwner"
	pathRegistryResolve  = "/selfchain.registry.v1.Query/Resolve"
	pathRegistryParams   = "/selfchain.registry.v1.Query/Params"
	flagRegEndpoint      = "endpoint"
	flagRegNodeKey       = "node-key"
	flagRegEncryptionKey = "encryption-key"
	flagRegModels        = "models"
	flagRegStorage       = "storage-bytes"
	flagRegTier          = "tier"
	flagRegQuota         = "quota-bytes"
	flagRegRegion        = "region"
	flagRegVersion       = "node-version"
	flagRegStatus        = "status"
	flagRegVerify        = "verify"
)

func registryTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Register and maintain nodes in the node directory"}
	cmd.AddCommand(registerNodeCmd(), updateNodeCmd(), rotateKeysCmd(), heartbeatCmd(), deregisterCmd())
	return cmd
}

func registryQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Query the node directory"}
	cmd.AddCommand(nodeQueryCmd(), nodesQueryCmd(), byOwnerQueryCmd(), resolveQueryCmd())
	return cmd
}

// addDescriptionFlags are the flags of a node's description (register-node, update-node).
func addDescriptionFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSlice(flagRegEndpoint, nil, "host:port or multiaddr peers connect to (repeat, at most 4)")
	f.StringSlice(flagRegModels, nil, "LLM models the node serves, comma-separated")
	f.Uint64(flagRegStorage, 0, "storage capacity offered, in bytes")
	f.String(flagRegTier, "free", "service tier: free, growth, pro or enterprise")
	f.Uint64(flagRegQuota, 0, "storage quota in bytes (enterprise tier only)")
	f.String(flagRegRegion, "", "region, lower case, e.g. eu-west")
	f.String(flagRegVersion, "", "software version the node runs (default: this binary's)")
}

// description reads the description flags; with base, unset flags keep base's values.
func description(cmd *cobra.Command, base *registry.Node) (eps []string, caps registry.Capabilities, tier registry.Tier, quota uint64, region, version string, err error) {
	f := cmd.Flags()
	if base != nil {
		eps, caps, tier, quota, region, version = base.Endpoints, base.Capabilities, base.Tier, base.CustomQuotaBytes, base.Region, base.Version
	}
	if base == nil || f.Changed(flagRegEndpoint) {
		eps, _ = f.GetStringSlice(flagRegEndpoint)
	}
	if base == nil || f.Changed(flagRegModels) {
		models, _ := f.GetStringSlice(flagRegModels)
		sort.Strings(models)
		caps.Models = models
	}
	if base == nil || f.Changed(flagRegStorage) {
		caps.StorageBytes, _ = f.GetUint64(flagRegStorage)
	}
	if base == nil || f.Changed(flagRegTier) {
		s, _ := f.GetString(flagRegTier)
		if tier, err = parseTier(s); err != nil {
			return
		}
	}
	if base == nil || f.Changed(flagRegQuota) {
		quota, _ = f.GetUint64(flagRegQuota)
	}
	if base == nil || f.Changed(flagRegRegion) {
		region, _ = f.GetString(flagRegRegion)
	}
	if base == nil || f.Changed(flagRegVersion) {
		version, _ = f.GetString(flagRegVersion)
		if version == "" {
			version = nodeSoftwareVersion()
		}
	}
	return
}

// nodeSoftwareVersion is this binary's version in the characters a version field allows.
func nodeSoftwareVersion() string {
	v := strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:/+-", r)) {
			return r
		}
		return '-'
	}, app.Version)
	if len(v) > registry.MaxVersionLen {
		v = v[:registry.MaxVersionLen]
	}
	if v == "" {
		v = "unknown"
	}
	return v
}

func parseTier(s string) (registry.Tier, error) {
	if s == "" {
		return registry.TIER_UNSPECIFIED, nil
	}
	t, ok := registry.Tier_value["TIER_"+strings.ToUpper(s)]
	if !ok || t == 0 {
		return 0, fmt.Errorf("unknown tier %q: want free, growth, pro or enterprise", s)
	}
	return registry.Tier(t), nil
}

func parseNodeStatus(s string) (registry.Status, error) {
	if s == "" {
		return registry.STATUS_UNSPECIFIED, nil
	}
	st, ok := registry.Status_value["STATUS_"+strings.ToUpper(s)]
	if !ok || st == 0 {
		return 0, fmt.Errorf("unknown status %q: want active, stale or expired", s)
	}
	return registry.Status(st), nil
}

// nodeKeys are the node's signing key (a keyring key's public key) and encryption key
// (--encryption-key selfpub1..., else the keyring key's own X-Wing key).
func nodeKeys(cmd *cobra.Command, keyName, encFlag string) (*types.PubKey, []byte, error) {
	var sig *types.PubKey
	var enc []byte
	kr, err := openKeyring(cmd)
	if err != nil {
		return nil, nil, err
	}
	if keyName != "" {
		rec, err := kr.Get(keyName)
		if errors.Is(err, keyring.ErrKeyNotFound) {
			return nil, nil, fmt.Errorf("node key %q is not in the keyring (see `keys add`, --keyring-backend)", keyName)
		}
		if err != nil {
			return nil, nil, err
		}
		sig = &types.PubKey{Type: rec.PubKey.Type(), Key: rec.PubKey.Bytes()}
	}
	switch {
	case encFlag != "":
		pk, err := seal.ParsePublicKeyString(encFlag)
		if err != nil {
			return nil, nil, fmt.Errorf("--%s: %w", flagRegEncryptionKey, err)
		}
		enc = pk.Bytes()
	case keyName != "":
		priv, err := kr.SealKey(keyName)
		if err != nil {
			return nil, nil, err
		}
		enc = priv.Public().Bytes()
	}
	return sig, enc, nil
}

// possessionProof signs registry.PossessionSignBytes with the node key keyName: the chain
// checks that the owner holds the signing key it registers or rotates to.
func possessionProof(cmd *cobra.Command, keyName string, owner crypto.Address, pk types.PubKey) ([]byte, error) {
	chainID := settings(cmd).GetString(flagChainID)
	if chainID == "" {
		c, err := newClient(cmd)
		if err != nil {
			return nil, err
		}
		if chainID, err = c.ChainID(cmd.Context()); err != nil {
			return nil, err
		}
	}
	kr, err := openKeyring(cmd)
	if err != nil {
		return nil, err
	}
	sig, _, err := kr.Sign(keyName, registry.PossessionSignBytes(chainID, owner, pk))
	return sig, err
}

func registerNodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register-node <owner-key> --endpoint host:port [flags]",
		Short: "Register a node owned by <owner-key>, escrowing the deposit param",
		Long: `Registers a node. Its signing key is the public key of --node-key (default: the owner key);
its encryption key is --encryption-key (a selfpub1... key) or else --node-key's own X25519 +
ML-KEM-768 key. The node id is derived from the signing key and printed in the tx events.`,
		Example: `  selfchaind tx registry register-node alice --endpoint node.example.com:26656 \
    --models llama-3.1-8b --storage-bytes 107374182400 --tier growth --region eu-west --wait --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			gasAutoByDefault(cmd)
			eps, caps, tier, quota, region, version, err := description(cmd, nil)
			if err != nil {
				return err
			}
			keyName, _ := cmd.Flags().GetString(flagRegNodeKey)
			if keyName == "" {
				keyName = args[0]
			}
			encFlag, _ := cmd.Flags().GetString(flagRegEncryptionKey)
			sig, enc, err := nodeKeys(cmd, keyName, encFlag)
			if err != nil {
				return err
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				pop, err := possessionProof(cmd, keyName, from, *sig)
				if err != nil {
					return nil, err
				}
				m := &registry.MsgRegisterNode{
					Owner: from.String(), Endpoints: eps, SigningKey: *sig, EncryptionKey: enc,
					Capabilities: caps, Tier: tier, CustomQuotaBytes: quota, Region: region, Version: version,
					SigningKeyProof: pop,
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "node id: %s\n", registry.NodeID(*sig))
				return []runtime.Msg{m}, nil
			})
		},
	}
	addDescriptionFlags(cmd)
	cmd.Flags().String(flagRegNodeKey, "", "keyring key whose public key is the node's signing key (default: the owner key)")
	cmd.Flags().String(flagRegEncryptionKey, "", "the node's encryption key, selfpub1... (default: --node-key's)")
	return cmd
}

// gasAutoByDefault makes --gas auto the default of commands whose gas depends on key
// sizes (a post-quantum node record is kilobytes): the generic default of 200000 would run
// out. An explicit --gas, SELFCHAIN_GAS or client.toml value other than the default wins.
func gasAutoByDefault(cmd *cobra.Command) {
	v := settings(cmd)
	if !cmd.Flags().Changed(flagGas) && v.GetString(flagGas) == strconv.Itoa(client.DefaultGas) {
		v.Set(flagGas, "auto")
	}
}

// currentNode fetches a node for commands that change part of it.
func currentNode(cmd *cobra.Command, id string) (*registry.Node, error) {
	var resp registry.QueryNodeResponse
	if err := queryOnce(cmd, pathRegistryNode, &registry.QueryNodeRequest{NodeId: id}, &resp); err != nil {
		if client.IsNotFound(err) {
			return nil, fmt.Errorf("node %s is not registered", id)
		}
		return nil, err
	}
	return &resp.Node.Node, nil
}

func updateNodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "update-node <owner-key> <node-id> [flags]",
		Short:   "Change a node's endpoints, capabilities, tier, region or version (flags not given keep their value)",
		Example: `  selfchaind tx registry update-node alice 3f1c... --endpoint 203.0.113.9:26656 --wait --yes`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			gasAutoByDefault(cmd)
			cur, err := currentNode(cmd, args[1])
			if err != nil {
				return err
			}
			eps, caps, tier, quota, region, version, err := description(cmd, cur)
			if err != nil {
				return err
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&registry.MsgUpdateNode{
					Owner: from.String(), NodeId: args[1], Endpoints: eps, Capabilities: caps, Tier: tier,
					CustomQuotaBytes: quota, Region: region, Version: version,
				}}, nil
			})
		},
	}
	addDescriptionFlags(cmd)
	return cmd
}

func rotateKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate-keys <owner-key> <node-id> [--node-key <name>] [--encryption-key selfpub1...]",
		Short: "Replace a node's signing and/or encryption key; the old ones stay valid for the grace period",
		Long: `--node-key replaces the signing key with that keyring key's public key (and, unless
--encryption-key is given, the encryption key with that key's own); --encryption-key alone
replaces only the encryption key.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			gasAutoByDefault(cmd)
			keyName, _ := cmd.Flags().GetString(flagRegNodeKey)
			encFlag, _ := cmd.Flags().GetString(flagRegEncryptionKey)
			if keyName == "" && encFlag == "" {
				return errors.New("give --node-key, --encryption-key or both")
			}
			sig, enc, err := nodeKeys(cmd, keyName, encFlag)
			if err != nil {
				return err
			}
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				m := &registry.MsgRotateKeys{Owner: from.String(), NodeId: args[1], SigningKey: sig, EncryptionKey: enc}
				if sig != nil {
					if m.SigningKeyProof, err = possessionProof(cmd, keyName, from, *sig); err != nil {
						return nil, err
					}
				}
				return []runtime.Msg{m}, nil
			})
		},
	}
	cmd.Flags().String(flagRegNodeKey, "", "keyring key whose public key becomes the signing key")
	cmd.Flags().String(flagRegEncryptionKey, "", "new encryption key, selfpub1...")
	return cmd
}

func heartbeatCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "heartbeat <owner-key> <node-id>",
		Short: "Mark a node alive at the current height (selfchaind start can do this itself: [registry] auto_heartbeat)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&registry.MsgHeartbeat{Owner: from.String(), NodeId: args[1]}}, nil
			})
		},
	}
}

func deregisterCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "deregister <owner-key> <node-id>",
		Short: "Remove a node from the directory and get its deposit back",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&registry.MsgDeregisterNode{Owner: from.String(), NodeId: args[1]}}, nil
			})
		},
	}
}

func nodeQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "node <node-id>",
		Short: "Query one node: endpoints, keys, capabilities, tier, liveness",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp registry.QueryNodeResponse
			if err := queryOnce(cmd, pathRegistryNode, &registry.QueryNodeRequest{NodeId: args[0]}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				printNode(w, &resp.Node)
				kv(w, "quota_bytes", resp.QuotaBytes)
			})
		},
	}
}

func printNode(w io.Writer, e *registry.NodeEntry) {
	n := &e.Node
	kv(w,
		"id", n.Id,
		"owner", n.Owner,
		"status", strings.ToLower(strings.TrimPrefix(e.Liveness.Status.String(), "STATUS_")),
		"last_heartbeat", e.Liveness.LastHeartbeatHeight,
		"endpoints", strings.Join(n.Endpoints, " "),
		"signing_key", fmt.Sprintf("%s %s (set at %d)", n.SigningKey.Type, n.SigningKeyId, n.SigningKeyHeight),
		"encryption_key", fmt.Sprintf("%s (set at %d)", n.EncryptionKeyId, n.EncryptionKeyHeight),
		"models", strings.Join(n.Capabilities.Models, ","),
		"storage_bytes", n.Capabilities.StorageBytes,
		"tier", strings.ToLower(strings.TrimPrefix(n.Tier.String(), "TIER_")),
		"region", n.Region,
		"version", n.Version,
	)
	if n.PrevKeysValidUntil > 0 && (n.PrevSigningKey != nil || len(n.PrevEncryptionKey) > 0) {
		kv(w, "previous_keys_valid_until", n.PrevKeysValidUntil)
	}
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
			page, err := pageRequest(cmd)
			if err != nil {
				return err
			}
			var resp registry.QueryNodesResponse
			req := &registry.QueryNodesRequest{Model: model, Region: region, Tier: tier, Status: status, Pagination: page}
			if err := queryOnce(cmd, pathRegistryNodes, req, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				if len(resp.Nodes) == 0 {
					fmt.Fprintln(w, "(no nodes on this page)")
				}
				for i := range resp.Nodes {
					printNode(w, &resp.Nodes[i])
					fmt.Fprintln(w)
				}
				printNextPage(w, resp.Pagination)
			})
		},
	}
	f := cmd.Flags()
	f.String("model", "", "only nodes serving this model")
	f.String(flagRegRegion, "", "only nodes in this region")
	f.String(flagRegTier, "", "only this tier: free, growth, pro, enterprise")
	f.String(flagRegStatus, "", "only this status: active, stale, expired")
	addPageFlags(cmd, registry.DefaultPageLimit, registry.MaxPageLimit)
	return cmd
}

func byOwnerQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "by-owner <address-or-key>",
		Short: "List an owner's nodes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			var resp registry.QueryNodesByOwnerResponse
			if err := queryOnce(cmd, pathRegistryByOwner, &registry.QueryNodesByOwnerRequest{Owner: addr.String()}, &resp); err != nil {
				return err
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				if len(resp.Nodes) == 0 {
					fmt.Fprintln(w, "(no nodes)")
				}
				for i := range resp.Nodes {
					printNode(w, &resp.Nodes[i])
					fmt.Fprintln(w)
				}
			})
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
			addr, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := newClient(cmd)
			if err != nil {
				return err
			}
			var resp registry.QueryResolveResponse
			if err := c.Query(cmd.Context(), pathRegistryResolve, &registry.QueryResolveRequest{Owner: addr.String()}, &resp); err != nil {
				return err
			}
			verified := "no (use --verify)"
			if v, _ := cmd.Flags().GetBool(flagRegVerify); v {
				appHash, err := nextAppHash(cmd.Context(), c, resp.Height)
				if err != nil {
					return err
				}
				if _, err := registry.VerifyResolve(appHash, addr, &resp); err != nil {
					return fmt.Errorf("proof verification failed: %w", err)
				}
				verified = fmt.Sprintf("yes, against the app hash %X of header %d", appHash, resp.Height+1)
			}
			return printResult(cmd, &resp, func(w io.Writer) {
				kv(w, "owner", addr.String(), "height", resp.Height, "proofs", len(resp.Proofs), "verified", verified)
				fmt.Fprintln(w)
				for i := range resp.Nodes {
					printNode(w, &resp.Nodes[i])
					fmt.Fprintln(w)
				}
			})
		},
	}
	cmd.Flags().Bool(flagRegVerify, false, "verify the proofs against the app hash of header height+1 from --node")
	return cmd
}

// nextAppHash waits (up to 30 s) for header h+1 and returns its app hash: the state after block h.
func nextAppHash(ctx context.Context, c *client.Client, h int64) ([]byte, error) {
	deadline := time.Now().Add(30 * time.Second)
	next := h + 1
	for {
		res, err := c.RPC().Commit(ctx, &next)
		if err == nil && res.SignedHeader.Header != nil {
			return res.SignedHeader.Header.AppHash, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("header %d not available: %v", next, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
