package relayer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/bridge"
)

// callTimeout bounds one RPC call, so a frozen node cannot hang a relay loop.
const callTimeout = 10 * time.Second

// prefixMu guards the process-wide bech32 prefix: the two chains of a bridge use
// different prefixes, and addresses are rendered with the active one (account
// queries, balances, signer infos). Everything that renders an address of a chain
// runs under withPrefix.
var prefixMu sync.Mutex

// chain is a connected side: its node, the relayer's key, its address there.
type chain struct {
	Side
	cl    *client.Client // the side's nodes, failing over (nodes.go)
	peers []*peer        // every node, for broadcasts
	// broadcastOne: txs go to the first reachable node only (unless Config.BroadcastAll).
	broadcastOne bool
	signer       *client.KeyringSigner
	addr         string // the relayer's address, with the chain's prefix
	acct         accountState
	heads        *heads               // new blocks, as they commit (Run's watcher feeds it)
	hdrs         *valCache            // headers for client updates, validator sets cached by hash
	gas          gasMemo              // simulated gas limits by tx shape
	sendMu       sync.Mutex           // one signer at a time: the workers share the key's sequence
	logf         func(string, ...any) // nil: quiet (bridge setup)
}

func (c *chain) withPrefix(f func() error) error {
	prefixMu.Lock()
	defer prefixMu.Unlock()
	old := crypto.GetBech32Prefix()
	if err := crypto.SetBech32Prefix(c.Prefix); err != nil {
		return err
	}
	defer func() { _ = crypto.SetBech32Prefix(old) }()
	return f()
}

// rpcURL accepts host:port, tcp:// and http(s):// forms.
func rpcURL(s string) string {
	if !strings.Contains(s, "://") {
		return "tcp://" + s
	}
	return s
}

// connect opens the side's node and key. The node's chain id must be the side's.
// logf (nil: quiet) gets the lines a relay log wants, failovers included.
func connect(ctx context.Context, s Side, logf ...func(string, ...any)) (*chain, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c := &chain{Side: s, heads: newHeads(), broadcastOne: true}
	if len(logf) > 0 {
		c.logf = logf[0]
	}
	cl, err := newNodeClient(s.Nodes(), func(format string, args ...any) {
		if c.logf != nil {
			c.logf("%s: "+format, append([]any{s.Name}, args...)...)
		}
	})
	if err != nil {
		return nil, err
	}
	if c.peers, err = newPeers(s.Nodes()); err != nil {
		return nil, err
	}
	kr, err := keyring.New(s.KeyringBackend, s.Home, keyring.EnvPassphrase())
	if err != nil {
		return nil, fmt.Errorf("%s: keyring in %s: %w", s.Name, s.Home, err)
	}
	signer, err := client.NewKeyringSigner(kr, s.Key)
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return nil, fmt.Errorf("%s: no key %q in %s (keyring-%s): `constellation bridge` creates it", s.Name, s.Key, s.Home, s.KeyringBackend)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: key %q: %w", s.Name, s.Key, err)
	}
	c.cl, c.signer, c.hdrs = cl, signer, newValCache(cl.RPC())
	_ = c.withPrefix(func() error { c.addr = signer.PubKey().Address().String(); return nil })
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	id, err := cl.ChainID(cctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	if id != s.ChainID {
		return nil, fmt.Errorf("%s: the node at %s runs chain %s, the bridge was made with %s", s.Name, s.RPC, id, s.ChainID)
	}
	// Every other node must run the same chain: queries fail over to them. One that
	// is down now is checked by the chain itself later (a tx of the wrong chain id
	// does not verify, a proof of another chain is refused).
	for _, p := range c.peers[1:] {
		pc, err := client.New(rpcURL(p.rpc))
		if err != nil {
			return nil, err
		}
		if pid, err := pc.ChainID(cctx); err == nil && pid != s.ChainID {
			return nil, fmt.Errorf("%s: the node at %s runs chain %s, not %s: remove it from the side's rpcs", s.Name, p.rpc, pid, s.ChainID)
		}
	}
	return c, nil
}

func (c *chain) query() bridge.QueryClient { return bridge.NewQueryClient(c.cl) }

// clientInfo is the side's client of the other chain: height, status, expiry.
func (c *chain) clientInfo(ctx context.Context) (bridge.ClientInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := c.query().Client(ctx, &bridge.QueryClientRequest{ClientId: c.ClientID})
	if err != nil {
		return bridge.ClientInfo{}, fmt.Errorf("%s: client %s: %w", c.Name, c.ClientID, err)
	}
	return resp.Client, nil
}

// latest is the node's latest block height and time: the chain's own clock,
// by which it judges timeouts and client expiry.
func (c *chain) latest(ctx context.Context) (int64, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := c.cl.Status(ctx)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("%s: %w", c.Name, err)
	}
	return st.SyncInfo.LatestBlockHeight, st.SyncInfo.LatestBlockTime, nil
}

// pendingPage is up to limit of the packets this side sent over its client and has
// not seen acknowledged or timed out (from its state at height, 0: latest) from sequence start on, and the first
// sequence of the next page (0 after the last).
func (c *chain) pendingPage(ctx context.Context, height int64, start uint64, limit uint32) ([]bridge.Packet, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := c.query().PendingPackets(ctx, &bridge.QueryPendingPacketsRequest{ClientId: c.ClientID, StartSequence: start, Limit: limit}, client.AtHeight(height))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: pending packets over %s: %w", c.Name, c.ClientID, err)
	}
	return resp.Packets, resp.NextSequence, nil
}

// unreceived keeps the sequences this side has no receipt of (at height, 0: latest).
func (c *chain) unreceived(ctx context.Context, seqs []uint64, height int64) (map[uint64]bool, error) {
	out := map[uint64]bool{}
	for len(seqs) > 0 {
		n := min(len(seqs), 1000)
		qctx, cancel := context.WithTimeout(ctx, callTimeout)
		resp, err := c.query().UnreceivedPackets(qctx, &bridge.QueryUnreceivedPacketsRequest{ClientId: c.ClientID, Sequences: seqs[:n]}, client.AtHeight(height))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s: unreceived packets over %s: %w", c.Name, c.ClientID, err)
		}
		for _, s := range resp.Sequences {
			out[s] = true
		}
		seqs = seqs[n:]
	}
	return out, nil
}

// acks reads the acknowledgements this side wrote for the given sequences at
// height, 1,000 a query; a sequence without one is absent from the map.
func (c *chain) acks(ctx context.Context, seqs []uint64, height int64) (map[uint64]*bridge.Acknowledgement, error) {
	out := map[uint64]*bridge.Acknowledgement{}
	for len(seqs) > 0 {
		n := min(len(seqs), 1000)
		qctx, cancel := context.WithTimeout(ctx, callTimeout)
		resp, err := c.query().Acknowledgements(qctx, &bridge.QueryAcknowledgementsRequest{ClientId: c.ClientID, Sequences: seqs[:n]}, client.AtHeight(height))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s: acknowledgements over %s: %w", c.Name, c.ClientID, err)
		}
		for i := range resp.Acknowledgements {
			a := &resp.Acknowledgements[i]
			out[a.Sequence] = &a.Acknowledgement
		}
		seqs = seqs[n:]
	}
	return out, nil
}

// balance is what the relayer's key holds of the chain's fee denom.
func (c *chain) balance(ctx context.Context) (types.Int, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := bank.NewQueryClient(c.cl).Balance(ctx, &bank.QueryBalanceRequest{Address: c.addr, Denom: c.Denom})
	if err != nil {
		return types.Int{}, fmt.Errorf("%s: balance of %s: %w", c.Name, c.addr, err)
	}
	return resp.Balance.Amount, nil
}

// fundsHint is the plain-words message for a relayer key without fees.
func (c *chain) fundsHint(have string) error {
	return fmt.Errorf("relayer key %s (%s) on %s has %s: it needs fees: send it some with `selfchaind --home <a home with a funded key> tx bank send <key> %s 1000000%s --node %s --chain-id %s`",
		c.Key, c.addr, c.ChainID, have, c.addr, c.Denom, c.RPC, c.ChainID)
}

// clientConn is a node connection without a key (queries only).
type clientConn = client.Client

func newClientConn(url string) (*clientConn, error) { return client.New(url) }
