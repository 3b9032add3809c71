package registry

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/types"
)

// Flags of the registry commands.
const (
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

// GetTxCmd is `tx registry`.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Register and maintain nodes in the node directory"}
	cmd.AddCommand(registerNodeCmd(), updateNodeCmd(), rotateKeysCmd(), heartbeatCmd(), deregisterCmd())
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
func description(cmd *cobra.Command, base *Node) (eps []string, caps Capabilities, tier Tier, quota uint64, region, version string, err error) {
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
			version = nodeSoftwareVersion(cmd)
		}
	}
	return
}

// nodeSoftwareVersion is this binary's version (the root command's AppInfo) in the
// characters a version field allows.
func nodeSoftwareVersion(cmd *cobra.Command) string {
	v := strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:/+-", r)) {
			return r
		}
		return '-'
	}, cli.App(cmd).Version)
	if len(v) > MaxVersionLen {
		v = v[:MaxVersionLen]
	}
	if v == "" {
		v = "unknown"
	}
	return v
}

func parseTier(s string) (Tier, error) {
	if s == "" {
		return TIER_UNSPECIFIED, nil
	}
	t, ok := Tier_value["TIER_"+strings.ToUpper(s)]
	if !ok || t == 0 {
		return 0, fmt.Errorf("unknown tier %q: want free, growth, pro or enterprise", s)
	}
	return Tier(t), nil
}

// nodeKeys are the node's signing key (a keyring key's public key) and encryption key
// (--encryption-key selfpub1..., else the keyring key's own X-Wing key).
func nodeKeys(cmd *cobra.Command, keyName, encFlag string) (*types.PubKey, []byte, error) {
	var sig *types.PubKey
	var enc []byte
	kr, err := cli.OpenKeyring(cmd)
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
	chainID := cli.Settings(cmd).GetString(cli.FlagChainID)
	if chainID == "" {
		c, err := cli.NewClient(cmd)
		if err != nil {
			return nil, err
		}
		if chainID, err = c.ChainID(cmd.Context()); err != nil {
			return nil, err
		}
	}
	kr, err := cli.OpenKeyring(cmd)
	if err != nil {
		return nil, err
	}
	sig, _, err := kr.Sign(keyName, PossessionSignBytes(chainID, owner, pk))
	return sig, err
}

func registerNodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register-node <owner-key> --endpoint host:port [flags]",
		Short: "Register a node owned by <owner-key>, escrowing the deposit param",
		Long: `Registers a node. Its signing key is the public key of --node-key (default: the owner key);
its encryption key is --encryption-key (a selfpub1... key) or else --node-key's own X25519 +
ML-KEM-768 key. The node id (40 hex digits, derived from the signing key) is printed on
stderr as "node id: ..." before the tx is sent; 'query registry by-owner' lists it later.`,
		Example: `  selfchaind tx registry register-node alice --endpoint node.example.com:26656 \
    --models llama-3.1-8b --storage-bytes 107374182400 --tier growth --region eu-west --wait --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				pop, err := possessionProof(cmd, keyName, from, *sig)
				if err != nil {
					return nil, err
				}
				m := &MsgRegisterNode{
					Owner: from.String(), Endpoints: eps, SigningKey: *sig, EncryptionKey: enc,
					Capabilities: caps, Tier: tier, CustomQuotaBytes: quota, Region: region, Version: version,
					SigningKeyProof: pop,
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "node id: %s\n", NodeID(*sig))
				return []runtime.Msg{m}, nil
			})
		},
	}
	addDescriptionFlags(cmd)
	cmd.Flags().String(flagRegNodeKey, "", "keyring key whose public key is the node's signing key (default: the owner key)")
	cmd.Flags().String(flagRegEncryptionKey, "", "the node's encryption key, selfpub1... (default: --node-key's)")
	// Said before signing, not as the chain's "region: empty" after a gas simulation.
	_ = cmd.MarkFlagRequired(flagRegEndpoint)
	_ = cmd.MarkFlagRequired(flagRegRegion)
	cli.GasAutoByDefault(cmd)
	return cmd
}

// currentNode fetches a node for commands that change part of it.
func currentNode(cmd *cobra.Command, id string) (*Node, error) {
	resp, err := cli.QueryClient(cmd, NewQueryClient).Node(cmd.Context(), &QueryNodeRequest{NodeId: id})
	if err != nil {
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
			cur, err := currentNode(cmd, args[1])
			if err != nil {
				return err
			}
			eps, caps, tier, quota, region, version, err := description(cmd, cur)
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgUpdateNode{
					Owner: from.String(), NodeId: args[1], Endpoints: eps, Capabilities: caps, Tier: tier,
					CustomQuotaBytes: quota, Region: region, Version: version,
				}}, nil
			})
		},
	}
	addDescriptionFlags(cmd)
	cli.GasAutoByDefault(cmd)
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
			keyName, _ := cmd.Flags().GetString(flagRegNodeKey)
			encFlag, _ := cmd.Flags().GetString(flagRegEncryptionKey)
			if keyName == "" && encFlag == "" {
				return errors.New("give --node-key, --encryption-key or both")
			}
			sig, enc, err := nodeKeys(cmd, keyName, encFlag)
			if err != nil {
				return err
			}
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				m := &MsgRotateKeys{Owner: from.String(), NodeId: args[1], SigningKey: sig, EncryptionKey: enc}
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
	cli.GasAutoByDefault(cmd)
	return cmd
}

func heartbeatCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "heartbeat <owner-key> <node-id>",
		Short: "Mark a node alive at the current height (selfchaind start can do this itself: [registry] auto_heartbeat)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgHeartbeat{Owner: from.String(), NodeId: args[1]}}, nil
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
			return cli.RunTx(cmd, args[0], func(from crypto.Address) ([]runtime.Msg, error) {
				return []runtime.Msg{&MsgDeregisterNode{Owner: from.String(), NodeId: args[1]}}, nil
			})
		},
	}
}
