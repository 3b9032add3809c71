package client

import (
	"context"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	gogogrpc "github.com/cosmos/gogoproto/grpc"
	"github.com/cosmos/gogoproto/proto"
	"google.golang.org/grpc"
)

// Client is a gRPC ClientConn over ABCI queries, as the Cosmos SDK's
// client.Context is: every module's generated query client works on it,
//
//	res, err := bank.NewQueryClient(c).Balance(ctx, &bank.QueryBalanceRequest{...})
//
// The method name ("/selfchain.bank.v1.Query/Balance") is the ABCI query path.
// ABCIQuerier is the same over any function that answers ABCI queries: an app in
// the same process (testutil.TestApp) or a light client's proxy.
var (
	_ gogogrpc.ClientConn = (*Client)(nil)
	_ gogogrpc.ClientConn = ABCIQuerier(nil)
)

// ABCIQuerier answers one ABCI query as the application did: a non-zero code is in
// the response, not an error. Client.ABCIQuery (a node's abci_query over RPC) and an
// app's own Query method both have this type.
type ABCIQuerier func(ctx context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error)

// queryOption is a grpc.CallOption this package reads; grpc's own options are ignored.
type queryOption struct {
	grpc.EmptyCallOption
	height int64
	prove  bool
	result *abci.ResponseQuery
}

// AtHeight asks for the state at height h (0: the latest committed).
func AtHeight(h int64) grpc.CallOption { return queryOption{height: h} }

// Prove asks for an ICS-23 proof of the answer and stores the application's whole
// answer (value, proof ops, height, code) in res, for the caller to verify.
func Prove(res *abci.ResponseQuery) grpc.CallOption {
	return queryOption{prove: true, result: res}
}

// Invoke sends req as an ABCI query to path method and decodes the answer into reply.
// A non-zero ABCI code comes back as *QueryError.
func (q ABCIQuerier) Invoke(ctx context.Context, method string, req, reply any, opts ...grpc.CallOption) error {
	in, ok := req.(proto.Message)
	if !ok {
		return fmt.Errorf("%s: request %T is not a protobuf message", method, req)
	}
	out, ok := reply.(proto.Message)
	if !ok {
		return fmt.Errorf("%s: reply %T is not a protobuf message", method, reply)
	}
	rq := abci.RequestQuery{Path: method}
	var keep *abci.ResponseQuery
	for _, o := range opts {
		if o, ok := o.(queryOption); ok {
			rq.Height = max(rq.Height, o.height)
			rq.Prove = rq.Prove || o.prove
			if o.result != nil {
				keep = o.result
			}
		}
	}
	var err error
	if rq.Data, err = proto.Marshal(in); err != nil {
		return fmt.Errorf("encode %s request: %w", method, err)
	}
	res, err := q(ctx, &rq)
	if err != nil {
		return err
	}
	if keep != nil {
		*keep = *res
	}
	if res.Code != 0 {
		return &QueryError{Path: method, Codespace: res.Codespace, Code: res.Code, Log: res.Log}
	}
	if err := proto.Unmarshal(res.Value, out); err != nil {
		return fmt.Errorf("decode %s response: %w", method, err)
	}
	return nil
}

// NewStream is not offered: ABCI queries are unary.
func (q ABCIQuerier) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, errors.New("streaming queries are not supported over ABCI")
}

// ABCIQuery runs one abci_query on the node; the application's answer comes back
// as is, a non-zero code included (Invoke maps that to *QueryError).
func (c *Client) ABCIQuery(ctx context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	res, err := c.rpc.ABCIQueryWithOptions(ctx, req.Path, req.Data, rpcclient.ABCIQueryOptions{Height: req.Height, Prove: req.Prove})
	if err != nil {
		return nil, c.wrapConnErr(err)
	}
	return &res.Response, nil
}

// Invoke sends req as an ABCI query to the node (see ABCIQuerier.Invoke).
func (c *Client) Invoke(ctx context.Context, method string, req, reply any, opts ...grpc.CallOption) error {
	return ABCIQuerier(c.ABCIQuery).Invoke(ctx, method, req, reply, opts...)
}

// NewStream is not offered: ABCI queries are unary.
func (c *Client) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return ABCIQuerier(c.ABCIQuery).NewStream(ctx, desc, method, opts...)
}
