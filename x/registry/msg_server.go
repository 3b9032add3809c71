package registry

import (
	"bytes"
	"context"
	"errors"
	"slices"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Event types of messages (liveness events are in liveness.go).
const (
	EventTypeNodeRegistered   = "registry_node_registered"
	EventTypeNodeUpdated      = "registry_node_updated"
	EventTypeKeysRotated      = "registry_keys_rotated"
	EventTypeNodeDeregistered = "registry_node_deregistered"
	AttributeKeyOwner         = "owner"
)

// msgServer handles registry's messages. Like every module's, its handlers do not
// call ValidateBasic: every route to a handler ran it first (runtime.MsgRouter's
// rule; docs/ARCHITECTURE.md, Transactions).
type msgServer struct{ k Keeper }

var _ MsgServer = msgServer{}

func NewMsgServer(k Keeper) MsgServer { return msgServer{k: k} }

// Every handler checks everything before its first write, and a failed message's
// writes are discarded with its branch anyway: a rejected message changes nothing.

func (s msgServer) RegisterNode(ctx context.Context, msg *MsgRegisterNode) (*MsgRegisterNodeResponse, error) {
	c := runtime.Unwrap(ctx)
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := parseAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	ids, err := s.k.ownerNodes(ctx, owner)
	if err != nil {
		return nil, err
	}
	if len(ids) >= int(p.MaxNodesPerOwner) {
		return nil, ErrTooManyNodes.Wrapf("%s already runs %d nodes (max_nodes_per_owner); deregister one first", msg.Owner, len(ids))
	}
	if err := parseSigningKey("signing_key", msg.SigningKey); err != nil {
		return nil, err
	}
	encID, err := parseEncryptionKey("encryption_key", msg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	id := NodeID(msg.SigningKey)
	if has, err := s.k.Nodes.Has(ctx, id); err != nil {
		return nil, err
	} else if has {
		return nil, ErrDuplicateKey.Wrapf("signing_key: node %s is already registered with it", id)
	}
	sigHash := keyHash(msg.SigningKey.Type, msg.SigningKey.Key)
	encHash := keyHash(EncryptionKeyType, msg.EncryptionKey)
	if err := s.k.requireKeyFree(ctx, "signing_key", sigHash, ""); err != nil {
		return nil, err
	}
	if err := s.k.requireKeyFree(ctx, "encryption_key", encHash, ""); err != nil {
		return nil, err
	}
	if err := verifyPossession(c, owner, msg.SigningKey, msg.SigningKeyProof); err != nil {
		return nil, err
	}
	if err := s.k.bank.SendCoins(ctx, owner, Escrow, types.Coins{p.Deposit}); err != nil {
		return nil, runtime.Wrapf(err, "deposit of %s", p.Deposit)
	}

	h := c.BlockHeight()
	n := Node{
		Id: id, Owner: owner.String(), Endpoints: msg.Endpoints,
		SigningKey: msg.SigningKey, SigningKeyId: SigningKeyID(msg.SigningKey), SigningKeyHeight: h,
		EncryptionKey: msg.EncryptionKey, EncryptionKeyId: encID, EncryptionKeyHeight: h,
		Capabilities: msg.Capabilities, Tier: msg.Tier, CustomQuotaBytes: msg.CustomQuotaBytes,
		Region: msg.Region, Version: msg.Version, RegisteredHeight: h, Deposit: p.Deposit,
	}
	l := Liveness{LastHeartbeatHeight: h, Status: STATUS_ACTIVE, Owner: n.Owner}
	if err := s.k.insertNode(ctx, &n, l); err != nil {
		return nil, err
	}
	c.EventManager().Emit(EventTypeNodeRegistered, AttributeKeyNodeID, id, AttributeKeyOwner, n.Owner)
	return &MsgRegisterNodeResponse{NodeId: id}, nil
}

// insertNode writes a new node with all its indexes (RegisterNode and genesis).
func (k Keeper) insertNode(ctx context.Context, n *Node, l Liveness) error {
	owner, err := crypto.AddressFromBech32(n.Owner)
	if err != nil {
		return err
	}
	ids, err := k.ownerNodes(ctx, owner)
	if err != nil {
		return err
	}
	i, _ := slices.BinarySearch(ids, n.Id)
	if err := k.setOwnerNodes(ctx, owner, slices.Insert(slices.Clone(ids), i, n.Id)); err != nil {
		return err
	}
	if err := k.Keys.Set(ctx, keyHash(n.SigningKey.Type, n.SigningKey.Key), n.Id); err != nil {
		return err
	}
	if err := k.Keys.Set(ctx, keyHash(EncryptionKeyType, n.EncryptionKey), n.Id); err != nil {
		return err
	}
	if n.PrevSigningKey != nil {
		if err := k.Keys.Set(ctx, keyHash(n.PrevSigningKey.Type, n.PrevSigningKey.Key), n.Id); err != nil {
			return err
		}
	}
	if len(n.PrevEncryptionKey) > 0 {
		if err := k.Keys.Set(ctx, keyHash(EncryptionKeyType, n.PrevEncryptionKey), n.Id); err != nil {
			return err
		}
	}
	if err := k.Nodes.Set(ctx, n.Id, *n); err != nil {
		return err
	}
	if err := k.Liveness.Set(ctx, n.Id, l); err != nil {
		return err
	}
	return k.track(ctx, n, l)
}

// requireKeyFree fails with ErrDuplicateKey when the key hash belongs to a node other than self.
func (k Keeper) requireKeyFree(ctx context.Context, field string, h []byte, self string) error {
	holder, err := k.Keys.Get(ctx, h)
	if errors.Is(err, collections.ErrNotFound) || (err == nil && holder == self) {
		return nil
	}
	if err != nil {
		return err
	}
	return ErrDuplicateKey.Wrapf("%s: already used by node %s", field, holder)
}

// ownedNode loads a node for a change by owner: it must exist, belong to owner and not be expired.
func (k Keeper) ownedNode(ctx context.Context, ownerStr, id string, allowExpired bool) (Node, Liveness, error) {
	owner, err := parseAddress("owner", ownerStr)
	if err != nil {
		return Node{}, Liveness{}, err
	}
	e, found, err := k.GetNode(ctx, id)
	if err != nil {
		return Node{}, Liveness{}, err
	}
	if !found {
		return Node{}, Liveness{}, ErrNodeNotFound.Wrapf("node %s", id)
	}
	if err := checkOwner(owner, e.Liveness.Owner, id); err != nil {
		return Node{}, Liveness{}, err
	}
	if !allowExpired && e.Liveness.Status == STATUS_EXPIRED {
		return Node{}, Liveness{}, ErrNodeExpired.Wrapf("node %s missed heartbeats for expire_after_blocks; deregister it (the deposit is refunded) and register again", id)
	}
	return e.Node, e.Liveness, nil
}

func checkOwner(signer crypto.Address, owner, id string) error {
	o, err := crypto.AddressFromBech32(owner)
	if err != nil {
		return err // stored owners are valid: corrupted state
	}
	if !bytes.Equal(o, signer) {
		return ErrNotOwner.Wrapf("node %s belongs to %s", id, owner)
	}
	return nil
}

func (s msgServer) UpdateNode(ctx context.Context, msg *MsgUpdateNode) (*MsgUpdateNodeResponse, error) {
	n, _, err := s.k.ownedNode(ctx, msg.Owner, msg.NodeId, false)
	if err != nil {
		return nil, err
	}
	if err := s.k.removeAttrs(ctx, &n); err != nil {
		return nil, err
	}
	n.Endpoints, n.Capabilities, n.Tier, n.CustomQuotaBytes = msg.Endpoints, msg.Capabilities, msg.Tier, msg.CustomQuotaBytes
	n.Region, n.Version = msg.Region, msg.Version
	if err := s.k.addAttrs(ctx, &n); err != nil {
		return nil, err
	}
	if err := s.k.Nodes.Set(ctx, n.Id, n); err != nil {
		return nil, err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeNodeUpdated, AttributeKeyNodeID, n.Id)
	return &MsgUpdateNodeResponse{}, nil
}

func (s msgServer) RotateKeys(ctx context.Context, msg *MsgRotateKeys) (*MsgRotateKeysResponse, error) {
	c := runtime.Unwrap(ctx)
	h := c.BlockHeight()
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	n, _, err := s.k.ownedNode(ctx, msg.Owner, msg.NodeId, false)
	if err != nil {
		return nil, err
	}
	if msg.SigningKey == nil && len(msg.EncryptionKey) == 0 {
		return nil, runtime.ErrInvalidRequest.Wrap("rotate_keys: give a new signing_key, a new encryption_key or both")
	}
	var encID string
	if msg.SigningKey != nil {
		if err := parseSigningKey("signing_key", *msg.SigningKey); err != nil {
			return nil, err
		}
		if msg.SigningKey.Type == n.SigningKey.Type && bytes.Equal(msg.SigningKey.Key, n.SigningKey.Key) {
			return nil, ErrSameKey.Wrapf("signing_key: node %s already uses it", n.Id)
		}
		if err := s.k.requireKeyFree(ctx, "signing_key", keyHash(msg.SigningKey.Type, msg.SigningKey.Key), n.Id); err != nil {
			return nil, err
		}
		owner, _ := crypto.AddressFromBech32(n.Owner) // checked by ownedNode
		if err := verifyPossession(c, owner, *msg.SigningKey, msg.SigningKeyProof); err != nil {
			return nil, err
		}
	}
	if len(msg.EncryptionKey) > 0 {
		if encID, err = parseEncryptionKey("encryption_key", msg.EncryptionKey); err != nil {
			return nil, err
		}
		if bytes.Equal(msg.EncryptionKey, n.EncryptionKey) {
			return nil, ErrSameKey.Wrapf("encryption_key: node %s already uses it", n.Id)
		}
		if err := s.k.requireKeyFree(ctx, "encryption_key", keyHash(EncryptionKeyType, msg.EncryptionKey), n.Id); err != nil {
			return nil, err
		}
	}
	if h < n.PrevKeysValidUntil {
		return nil, ErrRotationInProgress.Wrapf("node %s: the keys replaced at the last rotation stay valid until height %d; rotate again after it", n.Id, n.PrevKeysValidUntil)
	}
	// The keys replaced at the previous rotation are past their grace period: forget them.
	if n.PrevSigningKey != nil {
		if err := s.k.Keys.Remove(ctx, keyHash(n.PrevSigningKey.Type, n.PrevSigningKey.Key)); err != nil {
			return nil, err
		}
	}
	if len(n.PrevEncryptionKey) > 0 {
		if err := s.k.Keys.Remove(ctx, keyHash(EncryptionKeyType, n.PrevEncryptionKey)); err != nil {
			return nil, err
		}
	}
	n.PrevSigningKey, n.PrevEncryptionKey = nil, nil
	n.PrevKeysValidUntil = h + p.KeyRotationGraceBlocks
	if msg.SigningKey != nil {
		old := n.SigningKey
		n.PrevSigningKey = &old
		n.SigningKey, n.SigningKeyId, n.SigningKeyHeight = *msg.SigningKey, SigningKeyID(*msg.SigningKey), h
		if err := s.k.Keys.Set(ctx, keyHash(n.SigningKey.Type, n.SigningKey.Key), n.Id); err != nil {
			return nil, err
		}
	}
	if len(msg.EncryptionKey) > 0 {
		n.PrevEncryptionKey = n.EncryptionKey
		n.EncryptionKey, n.EncryptionKeyId, n.EncryptionKeyHeight = msg.EncryptionKey, encID, h
		if err := s.k.Keys.Set(ctx, keyHash(EncryptionKeyType, n.EncryptionKey), n.Id); err != nil {
			return nil, err
		}
	}
	if err := s.k.Nodes.Set(ctx, n.Id, n); err != nil {
		return nil, err
	}
	c.EventManager().Emit(EventTypeKeysRotated, AttributeKeyNodeID, n.Id)
	return &MsgRotateKeysResponse{}, nil
}

// Heartbeat reads and writes only the node's small liveness entry and its place in the
// liveness sets: its gas does not grow with the node's keys or descriptions.
func (s msgServer) Heartbeat(ctx context.Context, msg *MsgHeartbeat) (*MsgHeartbeatResponse, error) {
	h := runtime.Unwrap(ctx).BlockHeight()
	owner, err := parseAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	l, err := s.k.Liveness.Get(ctx, msg.NodeId)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, ErrNodeNotFound.Wrapf("node %s", msg.NodeId)
	}
	if err != nil {
		return nil, err
	}
	if err := checkOwner(owner, l.Owner, msg.NodeId); err != nil {
		return nil, err
	}
	if msg.NodeSigner != "" {
		// Signed by the node's own key: only this path reads the node's keys.
		if err := s.checkNodeSigner(ctx, msg.NodeId, msg.NodeSigner); err != nil {
			return nil, err
		}
	}
	if l.Status == STATUS_EXPIRED {
		return nil, ErrNodeExpired.Wrapf("node %s missed heartbeats for expire_after_blocks; deregister it (the deposit is refunded) and register again", msg.NodeId)
	}
	if l.LastHeartbeatHeight == h && l.Status == STATUS_ACTIVE {
		return &MsgHeartbeatResponse{}, nil // a second heartbeat in one block changes nothing
	}
	set, err := s.k.hbSet(l.Status)
	if err != nil {
		return nil, err
	}
	if err := set.Remove(ctx, collections.Join(uint64(l.LastHeartbeatHeight), msg.NodeId)); err != nil {
		return nil, err
	}
	if l.Status == STATUS_STALE {
		if err := s.k.indexRemove(ctx, kindStatus, STATUS_STALE.String(), msg.NodeId); err != nil {
			return nil, err
		}
		if err := s.k.indexAdd(ctx, kindStatus, STATUS_ACTIVE.String(), msg.NodeId); err != nil {
			return nil, err
		}
	}
	l.LastHeartbeatHeight, l.Status = h, STATUS_ACTIVE
	if err := s.k.ActiveByHB.Set(ctx, collections.Join(uint64(h), msg.NodeId)); err != nil {
		return nil, err
	}
	if err := s.k.Liveness.Set(ctx, msg.NodeId, l); err != nil {
		return nil, err
	}
	return &MsgHeartbeatResponse{}, nil
}

// checkNodeSigner refuses a heartbeat's node_signer that is not the address of
// node id's current signing key.
func (s msgServer) checkNodeSigner(ctx context.Context, id, signer string) error {
	addr, err := parseAddress("node_signer", signer)
	if err != nil {
		return err
	}
	n, err := s.k.Nodes.Get(ctx, id)
	if err != nil {
		return err // the liveness entry exists, so must the node: corrupted state
	}
	pk, err := crypto.PubKeyFromTyped(n.SigningKey.Type, n.SigningKey.Key)
	if err != nil {
		return err // stored keys were checked at registration: corrupted state
	}
	if !bytes.Equal(pk.Address(), addr) {
		return ErrNotNodeKey.Wrapf("node %s's signing key has address %s, not %s: sign with the node's current signing key, or leave node_signer empty and sign as the owner", id, pk.Address(), signer)
	}
	return nil
}

func (s msgServer) DeregisterNode(ctx context.Context, msg *MsgDeregisterNode) (*MsgDeregisterNodeResponse, error) {
	n, l, err := s.k.ownedNode(ctx, msg.Owner, msg.NodeId, true)
	if err != nil {
		return nil, err
	}
	if err := s.k.untrack(ctx, &n, l); err != nil {
		return nil, err
	}
	keys := [][]byte{keyHash(n.SigningKey.Type, n.SigningKey.Key), keyHash(EncryptionKeyType, n.EncryptionKey)}
	if n.PrevSigningKey != nil {
		keys = append(keys, keyHash(n.PrevSigningKey.Type, n.PrevSigningKey.Key))
	}
	if len(n.PrevEncryptionKey) > 0 {
		keys = append(keys, keyHash(EncryptionKeyType, n.PrevEncryptionKey))
	}
	for _, kh := range keys {
		if err := s.k.Keys.Remove(ctx, kh); err != nil {
			return nil, err
		}
	}
	owner, _ := crypto.AddressFromBech32(n.Owner) // checked by ownedNode
	ids, err := s.k.ownerNodes(ctx, owner)
	if err != nil {
		return nil, err
	}
	if i, ok := slices.BinarySearch(ids, n.Id); ok {
		ids = slices.Delete(slices.Clone(ids), i, i+1)
	}
	if err := s.k.setOwnerNodes(ctx, owner, ids); err != nil {
		return nil, err
	}
	if err := s.k.Nodes.Remove(ctx, n.Id); err != nil {
		return nil, err
	}
	if err := s.k.Liveness.Remove(ctx, n.Id); err != nil {
		return nil, err
	}
	if err := s.k.bank.SendCoins(ctx, Escrow, owner, types.Coins{n.Deposit}); err != nil {
		return nil, err // the escrow holds every deposit: failing here is a broken invariant
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeNodeDeregistered, AttributeKeyNodeID, n.Id, AttributeKeyOwner, n.Owner)
	return &MsgDeregisterNodeResponse{}, nil
}
