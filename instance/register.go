package instance

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

// registryTier maps the instance's tier to x/registry's.
func registryTier(t string) registry.Tier {
	switch t {
	case "free":
		return registry.TIER_FREE
	case "growth":
		return registry.TIER_GROWTH
	case "pro":
		return registry.TIER_PRO
	}
	return registry.TIER_ENTERPRISE
}

// Advertise registers the instance in x/registry — a node owned by the owner
// whose signing key is the instance's TLS key and whose first endpoint is
// c.Advertise — or refreshes its endpoint when it changed. Apps find the instance
// there and pin its TLS key. It returns the node id and the tx hash ("" when
// nothing had to change).
func Advertise(ctx context.Context, c Config, kr keyring.Keyring) (string, string, error) {
	s, err := tlsSigner(kr, c.TLSKey, false)
	if err != nil {
		return "", "", err
	}
	key := types.PubKey{Type: "ed25519", Key: s.pub}
	id := registry.NodeID(key)
	cl, err := client.New(c.Node)
	if err != nil {
		return "", "", err
	}
	q, _ := c.Quota()
	res, err := registry.NewQueryClient(cl).Node(ctx, &registry.QueryNodeRequest{NodeId: id})
	switch {
	case err == nil:
		n := res.Node.Node
		if n.Owner != c.OwnerAddress {
			return id, "", fmt.Errorf("node %s (the instance's TLS key) is registered to %s, not the owner %s", id, n.Owner, c.OwnerAddress)
		}
		if slices.Equal(n.Endpoints, []string{c.Advertise}) {
			return id, "", nil
		}
		tx, err := sendTx(ctx, c, kr, cl, &registry.MsgUpdateNode{Owner: c.OwnerAddress, NodeId: id, Endpoints: []string{c.Advertise},
			Capabilities: n.Capabilities, Tier: n.Tier, CustomQuotaBytes: n.CustomQuotaBytes, Region: n.Region, Version: n.Version})
		return id, tx, err
	case isQueryErr(err, registry.ErrNodeNotFound):
	default:
		return id, "", fmt.Errorf("look the instance up in x/registry: %w", err)
	}
	owner, err := kr.Get(c.Owner)
	if err != nil {
		return id, "", err
	}
	pop, _, err := kr.Sign(c.TLSKey, registry.PossessionSignBytes(c.ChainID, owner.Address, key))
	if err != nil {
		return id, "", err
	}
	enc, err := kr.SealKey(c.TLSKey)
	if err != nil {
		return id, "", err
	}
	m := &registry.MsgRegisterNode{Owner: c.OwnerAddress, Endpoints: []string{c.Advertise}, SigningKey: key,
		EncryptionKey: enc.Public().Bytes(), Tier: registryTier(c.Tier), Region: c.Region, Version: "selfinstance/v1",
		Capabilities: registry.Capabilities{StorageBytes: uint64(q)}, SigningKeyProof: pop}
	if registryTier(c.Tier) == registry.TIER_ENTERPRISE {
		m.CustomQuotaBytes = uint64(q)
	}
	if c.Model != "" {
		m.Capabilities.Models = []string{c.Model}
	}
	tx, err := sendTx(ctx, c, kr, cl, m)
	return id, tx, err
}

// isQueryErr reports whether err is the node's answer with the registered error e.
func isQueryErr(err error, e *runtime.Error) bool {
	var qe *client.QueryError
	return errors.As(err, &qe) && qe.Codespace == e.Codespace() && qe.Code == e.Code()
}
