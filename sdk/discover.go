package sdk

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/registry"
)

// Discover finds owner's instance in x/registry through the node at nodeRPC: the
// first registered node with an Ed25519 signing key (the instance's TLS key) and
// an endpoint. The resolve answer's proofs are checked against the app hash of
// the header after its height; pass trustedAppHash (from a light client) to not
// trust the node's header either.
func Discover(ctx context.Context, nodeRPC, owner string, trustedAppHash func(ctx context.Context, height int64) ([]byte, error)) (Config, error) {
	addr, err := crypto.AddressFromBech32(owner)
	if err != nil {
		return Config{}, sdkErr(CodeDiscovery, "owner is not a bech32 address", err)
	}
	cl, err := client.New(nodeRPC)
	if err != nil {
		return Config{}, sdkErr(CodeTransport, "node RPC", err)
	}
	res, err := registry.NewQueryClient(cl).Resolve(ctx, &registry.QueryResolveRequest{Owner: owner})
	if err != nil {
		return Config{}, sdkErr(CodeDiscovery, "resolve "+owner+" in x/registry", err)
	}
	var hash []byte
	if trustedAppHash != nil {
		hash, err = trustedAppHash(ctx, res.Height+1)
	} else {
		hash, err = cl.AppHashAfter(ctx, res.Height, 10*time.Second)
	}
	if err != nil {
		return Config{}, sdkErr(CodeDiscovery, "app hash to check the registry answer against", err)
	}
	nodes, err := registry.VerifyResolve(hash, addr, res)
	if err != nil {
		return Config{}, sdkErr(CodeDiscovery, "the registry answer does not verify", err)
	}
	for _, n := range nodes {
		if n.Node.SigningKey.Type != crypto.KeyTypeEd25519 || len(n.Node.Endpoints) == 0 {
			continue
		}
		return Config{URL: "https://" + n.Node.Endpoints[0], Owner: owner, TLSKey: ed25519.PublicKey(n.Node.SigningKey.Key)}, nil
	}
	return Config{}, sdkErr(CodeDiscovery, fmt.Sprintf("%s has no instance in x/registry (a node with an ed25519 key and an endpoint)", owner), nil)
}
