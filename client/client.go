// Package client talks to a SELF Chain node over CometBFT's RPC: ABCI queries,
// account lookups, broadcasting and waiting for txs, and the client.toml settings
// that CLIs share. It holds no keys; signing is the caller's (see Factory).
package client

import (
	"context"
	"errors"
	"fmt"
	"strings"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/gogoproto/proto"
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

// QueryRaw runs an ABCI query and maps an application error (code != 0) to *QueryError.
func (c *Client) QueryRaw(ctx context.Context, path string, data []byte, height int64, prove bool) (*ctypes.ResultABCIQuery, error) {
	res, err := c.rpc.ABCIQueryWithOptions(ctx, path, data, rpcclient.ABCIQueryOptions{Height: height, Prove: prove})
	if err != nil {
		return nil, c.wrapConnErr(err)
	}
	if r := res.Response; r.Code != 0 {
		return res, &QueryError{Path: path, Codespace: r.Codespace, Code: r.Code, Log: r.Log}
	}
	return res, nil
}

// Query sends a proto-encoded request to a gRPC-style path, e.g.
// /selfchain.bank.v1.Query/Balance, and decodes the answer into resp.
func (c *Client) Query(ctx context.Context, path string, req, resp proto.Message) error {
	return c.Invoke(ctx, path, req, resp)
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
