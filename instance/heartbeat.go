package instance

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/x/registry"
)

// heartbeatTick is how often the heartbeat loop looks at the proven height.
const heartbeatTick = time.Second

// HeartbeatBlocks is the heartbeat interval in blocks: c.HeartbeatBlocks when
// set, else a quarter of the registry's stale_after_blocks, so three heartbeats
// in a row can fail before the entry goes stale.
func HeartbeatBlocks(c Config, p registry.Params) int64 {
	if c.HeartbeatBlocks > 0 {
		return c.HeartbeatBlocks
	}
	return max(1, p.StaleAfterBlocks/4)
}

// Heartbeats sends MsgHeartbeat for the instance's registry node (nodeID, signed
// with the owner's key) whenever height() — the proven height — is HeartbeatBlocks
// past the last one, until ctx ends. Failures are logged and retried a quarter
// interval later; they never stop the gateway.
func Heartbeats(ctx context.Context, c Config, kr keyring.Keyring, nodeID string, height func() int64, log io.Writer) {
	cl, err := client.New(c.Node)
	if err != nil {
		fmt.Fprintf(log, "heartbeats: %v (the registry entry will go stale)\n", err)
		return
	}
	q := registry.NewQueryClient(cl)
	var every, next int64 // 0: not yet known
	t := time.NewTicker(heartbeatTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h := height()
		if h == 0 {
			continue // nothing proven yet
		}
		if every == 0 {
			// The interval and the last heartbeat come from the chain once.
			qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			p, err := q.Params(qctx, &registry.QueryParamsRequest{})
			var n *registry.QueryNodeResponse
			if err == nil {
				n, err = q.Node(qctx, &registry.QueryNodeRequest{NodeId: nodeID})
			}
			cancel()
			if err != nil {
				fmt.Fprintf(log, "heartbeats: read the registry: %v (retrying)\n", err)
				continue
			}
			every = HeartbeatBlocks(c, p.Params)
			next = n.Node.Liveness.LastHeartbeatHeight + every
			fmt.Fprintf(log, "heartbeats: node %s every %d blocks (stale after %d), next at height %d\n", nodeID, every, p.Params.StaleAfterBlocks, next)
		}
		if h < next {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		tx, err := sendTx(sctx, c, kr, cl, &registry.MsgHeartbeat{Owner: c.OwnerAddress, NodeId: nodeID})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			next = h + max(1, every/4)
			fmt.Fprintf(log, "heartbeats: MsgHeartbeat failed at height %d: %v (retrying at height %d)\n", h, err, next)
			continue
		}
		next = h + every
		fmt.Fprintf(log, "heartbeat sent at height %d (tx %s)\n", h, tx)
	}
}
