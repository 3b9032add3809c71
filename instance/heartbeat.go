package instance

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
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
// with the node's own key, see heartbeat) whenever height() — the proven height — is HeartbeatBlocks
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
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		tx, by, err := heartbeat(sctx, c, kr, cl, nodeID, log)
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
		fmt.Fprintf(log, "heartbeat sent at height %d, signed with the %s (tx %s)\n", h, by, tx)
	}
}

// The node key pays its heartbeats' fees (~100 uself each at the default gas
// price) from its own account, which the owner tops up to heartbeatFund whenever
// it holds less than heartbeatFundLow: one owner tx per several thousand heartbeats
// (at the default interval, months), and one at the first heartbeat.
const (
	heartbeatFund    = 1_000_000
	heartbeatFundLow = 100_000
)

// feeDenom is the denomination of the default gas prices ("0.001uself" -> "uself").
var feeDenom = strings.TrimLeft(client.DefaultGasPrices, "0123456789.")

// heartbeat sends one MsgHeartbeat for nodeID and says which key signed it.
//
// The node signs it with its own registered signing key — the instance's TLS key
// (x/registry's node_signer) — from its own account: the owner's account
// sequence, which the owner's wallet and `selfchaind tx` read from the chain and
// sign with, is left alone, so a user's tx can no longer be refused because a
// heartbeat took its sequence number in the mempool. Only when that fails (the
// node's signing key was rotated away from the TLS key, the top-up failed, the
// node's account cannot pay) does the owner sign, as before, and the log says so.
func heartbeat(ctx context.Context, c Config, kr keyring.Keyring, cl *client.Client, nodeID string, log io.Writer) (tx, by string, err error) {
	err = func() error {
		rec, err := kr.Get(c.TLSKey)
		if err != nil {
			return err
		}
		if err := topUpNodeKey(ctx, c, kr, cl, rec.Address.String(), log); err != nil {
			return err
		}
		tx, err = sendTxAs(ctx, c, kr, cl, c.TLSKey, &registry.MsgHeartbeat{Owner: c.OwnerAddress, NodeId: nodeID, NodeSigner: rec.Address.String()})
		return err
	}()
	if err == nil {
		return tx, "node's own key", nil
	}
	fmt.Fprintf(log, "heartbeats: the node's own key could not send it: %v (the owner's key signs this one)\n", err)
	tx, err = sendTx(ctx, c, kr, cl, &registry.MsgHeartbeat{Owner: c.OwnerAddress, NodeId: nodeID})
	return tx, "owner's key", err
}

// topUpNodeKey sends the node key's account what it lacks of heartbeatFund, from
// the owner's, when it holds less than heartbeatFundLow.
func topUpNodeKey(ctx context.Context, c Config, kr keyring.Keyring, cl *client.Client, addr string, log io.Writer) error {
	res, err := bank.NewQueryClient(cl).Balance(ctx, &bank.QueryBalanceRequest{Address: addr, Denom: feeDenom})
	if err != nil {
		return fmt.Errorf("the node key's balance: %w", err)
	}
	have := res.Balance.Amount
	if !have.LT(types.NewInt(heartbeatFundLow)) {
		return nil
	}
	need, err := types.NewInt(heartbeatFund).Sub(have)
	if err != nil {
		return err
	}
	tx, err := sendTx(ctx, c, kr, cl, &bank.MsgSend{FromAddress: c.OwnerAddress, ToAddress: addr, Amount: types.Coins{types.Coin{Denom: feeDenom, Amount: need}}})
	if err != nil {
		return fmt.Errorf("top up the node key's fees from the owner: %w", err)
	}
	fmt.Fprintf(log, "heartbeats: sent %s%s from the owner to the node key %s for heartbeat fees (tx %s)\n", need, feeDenom, addr, tx)
	return nil
}
