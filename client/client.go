// Package client talks to a SELF Chain node over CometBFT's RPC: ABCI queries (a
// gRPC ClientConn for the modules' generated query clients), broadcasting and
// waiting for txs, and the client.toml settings that CLIs share. It holds no keys;
// signing is the caller's (see Factory). It imports no module: what it needs of one
// comes in as an interface (AccountRetriever, implemented by x/auth).
package client

import (
	"context"
	"errors"
	"fmt"
	"strings"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
)

// Client is a connection to one node's RPC endpoint.
type Client struct {
	rpc    *rpchttp.HTTP
	remote string
}

// New connects to nodeURL, e.g. tcp://127.0.0.1:26657 or http://host:26657.
// Nothing is dialled until the first call.
func New(nodeURL string) (*Client, error) {
	if strings.TrimSpace(nodeURL) == "" {
		return nil, errors.New("no node address: set --node or node in client.toml")
	}
	c, err := rpchttp.New(nodeURL, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("node %q: %w", nodeURL, err)
	}
	return &Client{rpc: c, remote: nodeURL}, nil
}

// FromRPC wraps an RPC client the caller built (its own HTTP transport, say).
func FromRPC(rpc *rpchttp.HTTP) *Client { return &Client{rpc: rpc, remote: rpc.Remote()} }

// RPC exposes the underlying CometBFT client for calls this package does not wrap.
func (c *Client) RPC() *rpchttp.HTTP { return c.rpc }

// Remote is the node address the client was built with.
func (c *Client) Remote() string { return c.remote }

// Status is the node's /status.
func (c *Client) Status(ctx context.Context) (*ctypes.ResultStatus, error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return nil, c.wrapConnErr(err)
	}
	return st, nil
}

// ChainID is the chain id the node reports.
func (c *Client) ChainID(ctx context.Context) (string, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return "", err
	}
	return st.NodeInfo.Network, nil
}

// wrapConnErr turns the RPC client's dial errors into a hint a user can act on.
func (c *Client) wrapConnErr(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") || strings.Contains(msg, "dial tcp") {
		return fmt.Errorf("cannot reach node %s (is it running? set --node): %w", c.remote, err)
	}
	if strings.Contains(msg, "while node is catching up") {
		// CometBFT closes the mempool endpoints during block sync.
		return fmt.Errorf("node %s is still catching up with the chain (block sync) and does not accept txs yet; retry once `selfchaind status` shows catching_up false, or send to another node: %w", c.remote, err)
	}
	return err
}
