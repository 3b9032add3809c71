package registry

import (
	"context"
	"fmt"

	"github.com/selfchain/selfchain/crypto"
)

// DefaultGenesis has default params and no nodes.
func DefaultGenesis() GenesisState { return GenesisState{Params: DefaultParams()} }

// Validate checks the genesis state; errors name the offending field path. Nodes are
// checked as RegisterNode would check them, plus what the chain derives (id, key ids).
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params.%w", err)
	}
	ids := map[string]int{}
	keys := map[string]int{}
	perOwner := map[string]int{}
	for i := range gs.Nodes {
		e := &gs.Nodes[i]
		if err := validateEntry(e); err != nil {
			return fmt.Errorf("nodes[%d]: %w", i, err)
		}
		if j, dup := ids[e.Node.Id]; dup {
			return fmt.Errorf("nodes[%d].node.id: %s is already nodes[%d]", i, e.Node.Id, j)
		}
		ids[e.Node.Id] = i
		for _, kh := range nodeKeyHashes(&e.Node) {
			if j, dup := keys[string(kh)]; dup {
				return fmt.Errorf("nodes[%d]: a key of node %s is already a key of nodes[%d]", i, e.Node.Id, j)
			}
			keys[string(kh)] = i
		}
		perOwner[e.Node.Owner]++
		if perOwner[e.Node.Owner] > int(gs.Params.MaxNodesPerOwner) {
			return fmt.Errorf("nodes[%d].node.owner: %s has more than max_nodes_per_owner (%d) nodes", i, e.Node.Owner, gs.Params.MaxNodesPerOwner)
		}
	}
	return nil
}

func nodeKeyHashes(n *Node) [][]byte {
	out := [][]byte{keyHash(n.SigningKey.Type, n.SigningKey.Key), keyHash(EncryptionKeyType, n.EncryptionKey)}
	if n.PrevSigningKey != nil {
		out = append(out, keyHash(n.PrevSigningKey.Type, n.PrevSigningKey.Key))
	}
	if len(n.PrevEncryptionKey) > 0 {
		out = append(out, keyHash(EncryptionKeyType, n.PrevEncryptionKey))
	}
	return out
}

func validateEntry(e *NodeEntry) error {
	n, l := &e.Node, &e.Liveness
	owner, err := crypto.AddressFromBech32(n.Owner)
	if err != nil {
		return fmt.Errorf("node.owner: %w", err)
	}
	if l.Owner != owner.String() || n.Owner != owner.String() {
		return fmt.Errorf("node.owner and liveness.owner must be the same canonical address")
	}
	if err := validateDescription(n.Endpoints, n.Capabilities, n.Tier, n.CustomQuotaBytes, n.Region, n.Version); err != nil {
		return err
	}
	if err := parseSigningKey("node.signing_key", n.SigningKey); err != nil {
		return err
	}
	if n.SigningKeyId != SigningKeyID(n.SigningKey) {
		return fmt.Errorf("node.signing_key_id: want %s", SigningKeyID(n.SigningKey))
	}
	encID, err := parseEncryptionKey("node.encryption_key", n.EncryptionKey)
	if err != nil {
		return err
	}
	if n.EncryptionKeyId != encID {
		return fmt.Errorf("node.encryption_key_id: want %s", encID)
	}
	if !ValidNodeID(n.Id) {
		return fmt.Errorf("node.id: %q is not %d lower-case hex digits", n.Id, 2*NodeIDLen)
	}
	if n.PrevSigningKey != nil {
		if err := parseSigningKey("node.prev_signing_key", *n.PrevSigningKey); err != nil {
			return err
		}
	}
	if len(n.PrevEncryptionKey) > 0 {
		if _, err := parseEncryptionKey("node.prev_encryption_key", n.PrevEncryptionKey); err != nil {
			return err
		}
	}
	if err := n.Deposit.Validate(); err != nil {
		return fmt.Errorf("node.deposit: %w", err)
	}
	if l.Status != STATUS_ACTIVE && l.Status != STATUS_STALE && l.Status != STATUS_EXPIRED {
		return fmt.Errorf("liveness.status: %s", l.Status)
	}
	if l.LastHeartbeatHeight < 0 || n.RegisteredHeight < 0 {
		return fmt.Errorf("heights must not be negative")
	}
	return nil
}

// InitGenesis writes params and nodes with every index. The escrow's balance is bank's
// genesis: an exported genesis carries both, and their sum is not checked across modules.
func (k Keeper) InitGenesis(ctx context.Context, gs GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for i := range gs.Nodes {
		e := gs.Nodes[i]
		if err := k.insertNode(ctx, &e.Node, e.Liveness); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis writes params and every node, in id order.
func (k Keeper) ExportGenesis(ctx context.Context) (GenesisState, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return GenesisState{}, err
	}
	gs := GenesisState{Params: p}
	err = k.Nodes.Walk(ctx, nil, func(id string, n Node) (bool, error) {
		l, err := k.Liveness.Get(ctx, id)
		if err != nil {
			return true, err
		}
		gs.Nodes = append(gs.Nodes, NodeEntry{Node: n, Liveness: l})
		return false, nil
	})
	return gs, err
}
