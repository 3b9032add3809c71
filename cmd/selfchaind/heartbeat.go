package main

import (
	"context"
	"fmt"
	"time"

	cmtlog "github.com/cometbft/cometbft/libs/log"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/registry"
)

// heartbeatPoll is how often the heartbeat loop looks at the chain height.
const heartbeatPoll = 500 * time.Millisecond

// heartbeater sends the node's own x/registry heartbeats ([registry] auto_heartbeat):
// every heartbeat_interval blocks, one tx with a MsgHeartbeat for each of the operator's
// non-expired nodes (or only node_id), signed with the operator key and broadcast
// through the node's own RPC, exactly as `tx registry heartbeat` would.
type heartbeater struct {
	cfg    app.RegistryConfig
	signer *client.KeyringSigner
	rpc    string
	prices string
	logger cmtlog.Logger
}

// newHeartbeater opens the operator key before the node starts, so a missing key or a
// wrong passphrase stops `start` with a clear error instead of failing silently later.
func newHeartbeater(home string, cfg app.Config, logger cmtlog.Logger) (*heartbeater, error) {
	r := cfg.Registry
	kr, err := keyring.New(r.KeyringBackend, home, clientcli.Passphrase)
	if err != nil {
		return nil, fmt.Errorf("app.toml [registry]: keyring: %w", err)
	}
	s, err := client.NewKeyringSigner(kr, r.OperatorKey)
	if err != nil {
		return nil, fmt.Errorf("app.toml [registry] operator_key %q: %w (keyring backend %q under %s)", r.OperatorKey, err, r.KeyringBackend, home)
	}
	if r.NodeID != "" && !registry.ValidNodeID(r.NodeID) {
		return nil, fmt.Errorf("app.toml [registry] node_id %q: want 40 lower-case hex digits", r.NodeID)
	}
	prices := cfg.MinGasPrices
	if prices == "" {
		prices = client.DefaultGasPrices
	}
	return &heartbeater{cfg: r, signer: s, prices: prices, logger: logger.With("module", "registry-heartbeat")}, nil
}

// run loops until ctx ends; errors are logged and retried at the next poll.
func (h *heartbeater) run(ctx context.Context, rpc string) {
	h.rpc = rpc
	c, err := client.New(rpc)
	if err != nil {
		h.logger.Error("cannot reach the node's RPC; auto heartbeat off", "rpc", rpc, "err", err)
		return
	}
	var last int64
	t := time.NewTicker(heartbeatPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := c.Status(ctx)
		if err != nil {
			continue // not serving yet
		}
		height := st.SyncInfo.LatestBlockHeight
		if st.SyncInfo.CatchingUp || height == 0 || (last > 0 && height < last+h.cfg.HeartbeatInterval) {
			continue
		}
		n, err := h.send(ctx, c, st.NodeInfo.Network)
		if err != nil {
			h.logger.Error("heartbeat failed; retrying", "height", height, "err", err)
			continue
		}
		last = height
		if n > 0 {
			h.logger.Info("heartbeat sent", "height", height, "nodes", n)
		}
	}
}

// send broadcasts one heartbeat tx; it returns how many nodes it covered.
func (h *heartbeater) send(ctx context.Context, c *client.Client, chainID string) (int, error) {
	owner := h.signer.PubKey().Address()
	var ids []string
	if h.cfg.NodeID != "" {
		ids = []string{h.cfg.NodeID}
	} else {
		resp, err := registry.NewQueryClient(c).NodesByOwner(ctx, &registry.QueryNodesByOwnerRequest{Owner: owner.String()})
		if err != nil {
			return 0, err
		}
		for _, n := range resp.Nodes {
			if n.Liveness.Status != registry.STATUS_EXPIRED {
				ids = append(ids, n.Node.Id)
			}
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	msgs := make([]runtime.Msg, len(ids))
	for i, id := range ids {
		msgs[i] = &registry.MsgHeartbeat{Owner: owner.String(), NodeId: id}
	}
	f := client.Factory{ChainID: chainID, GasAuto: true, GasAdjustment: client.DefaultGasAdjustment, GasPrices: h.prices,
		Accounts: auth.AccountRetriever{}}
	plan, err := f.Prepare(ctx, c, h.signer, msgs...)
	if err != nil {
		return 0, err
	}
	bz, err := plan.Sign(h.signer)
	if err != nil {
		return 0, err
	}
	res, err := c.Broadcast(ctx, bz, false)
	if err != nil {
		return 0, err
	}
	if err := res.Err(); err != nil {
		return 0, err
	}
	return len(ids), nil
}
