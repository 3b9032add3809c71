package relayer

import (
	"context"
	"time"

	"github.com/selfchain/selfchain/x/bridge"
)

// SideStatus is what `status` shows of one side of a bridge: its client of the
// other chain, what it has sent that is still pending, and the relayer's funds.
type SideStatus struct {
	Name         string `json:"name"`
	ChainID      string `json:"chain_id"`
	ClientID     string `json:"client_id"`
	ClientStatus string `json:"client_status,omitempty"` // active | expired | frozen
	ClientHeight uint64 `json:"client_height,omitempty"` // the other chain's latest height it verified
	ExpiresAt    string `json:"client_expires_at,omitempty"`
	// Pending: packets this side sent over the client, not yet acknowledged or
	// timed out; Undelivered of them the other side has not received.
	Pending int `json:"pending"`
	// NextSend is the next sequence this side sends over the client: NextSend-1
	// packets sent so far (the dashboard meters bridge packets by it).
	NextSend    uint64 `json:"next_sequence_send,omitempty"`
	Undelivered int    `json:"undelivered"`
	RelayerKey  string `json:"relayer_key"`
	RelayerAddr string `json:"relayer_address"`
	Balance     string `json:"relayer_balance,omitempty"`
	Error       string `json:"error,omitempty"`
}

// BridgeStatus is both sides.
type BridgeStatus struct {
	A SideStatus `json:"a"`
	B SideStatus `json:"b"`
}

func statusName(s bridge.ClientStatus) string {
	switch s {
	case bridge.CLIENT_STATUS_ACTIVE:
		return "active"
	case bridge.CLIENT_STATUS_FROZEN:
		return "frozen"
	case bridge.CLIENT_STATUS_EXPIRED:
		return "expired"
	}
	return "unknown"
}

// Snapshot reads a bridge's state from both chains. A side that cannot be read
// carries the error; the other is still reported.
func Snapshot(ctx context.Context, cfg Config) BridgeStatus {
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	a, errA := connect(ctx, cfg.A)
	b, errB := connect(ctx, cfg.B)
	return BridgeStatus{A: sideStatus(ctx, cfg.A, a, b, errA), B: sideStatus(ctx, cfg.B, b, a, errB)}
}

func sideStatus(ctx context.Context, s Side, c, other *chain, connErr error) SideStatus {
	out := SideStatus{Name: s.Name, ChainID: s.ChainID, ClientID: s.ClientID, RelayerKey: s.Key}
	if connErr != nil {
		out.Error = connErr.Error()
		return out
	}
	out.RelayerAddr = c.addr
	if bal, err := c.balance(ctx); err == nil {
		out.Balance = bal.String() + c.Denom
	}
	info, err := c.clientInfo(ctx)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.ClientStatus = statusName(info.Status)
	out.ClientHeight = info.Client.LatestHeight
	out.NextSend = info.Client.NextSequenceSend
	out.ExpiresAt = time.Unix(info.ExpiresAt, 0).UTC().Format(time.RFC3339)
	// Every page, not the first 1,000 only (a status is read, not relayed: a few
	// queries more are fine), up to statusPages of them.
	var pending []bridge.Packet
	for next, pages := uint64(0), 0; pages < statusPages; pages++ {
		ps, n, err := c.pendingPage(ctx, 0, next, pageSize)
		if err != nil {
			out.Error = err.Error()
			return out
		}
		pending = append(pending, ps...)
		if next = n; next == 0 {
			break
		}
	}
	out.Pending = len(pending)
	if other != nil && len(pending) > 0 {
		if unrec, err := other.unreceived(ctx, seqsOf(pending), 0); err == nil {
			out.Undelivered = len(unrec)
		}
	}
	return out
}

// statusPages bounds the pending packets a status counts (10,000).
const statusPages = 10
