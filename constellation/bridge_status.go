package constellation

import (
	"context"

	"github.com/selfchain/selfchain/constellation/relayer"
)

// BridgeStatus is a bridge as `status`, `relay status` and the dashboard show it.
type BridgeStatus struct {
	Counterparty string               `json:"counterparty"`
	RelayerPID   int                  `json:"relayer_pid,omitempty"`
	Sides        relayer.BridgeStatus `json:"sides"`
}

// BridgeView reads one bridge's state from both chains.
func (c *Chain) BridgeView(ctx context.Context, br *Bridge) BridgeStatus {
	pid, _ := c.RelayPID(br.Counterparty)
	return BridgeStatus{Counterparty: br.Counterparty, RelayerPID: pid, Sides: relayer.Snapshot(ctx, br.Config())}
}

// BridgeViews reads every bridge of the chain, each bounded by its own time
// (not what the chain's status left of the caller's).
func (c *Chain) BridgeViews(ctx context.Context) []BridgeStatus {
	ctx = context.WithoutCancel(ctx)
	var out []BridgeStatus
	for _, br := range c.Bridges() {
		out = append(out, c.BridgeView(ctx, br))
	}
	return out
}
