package client

import (
	"context"
	"errors"
	"fmt"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
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
var _ gogogrpc.ClientConn = (*Client)(nil)

// queryOption is a grpc.CallOption this package reads; grpc's own options are ignored.
type queryOption struct {
	grpc.EmptyCallOption
	height int64
	prove  bool
	result *ctypes.ResultABCIQuery
}

// AtHeight asks for the state at height h (0: the latest committed).
func AtHeight(h int64) grpc.CallOption { return queryOption{height: h} }

// Prove asks the node for an ICS-23 proof of the answer and stores the node's whole
// answer (value, proof ops, height) in res, for the caller to verify.
func Prove(res *ctypes.ResultABCIQuery) grpc.CallOption {
	return queryOption{prove: true, result: res}
}

// Invoke sends req as an ABCI query to path method and decodes the answer into reply.
// A non-zero ABCI code comes back as *QueryError.
func (c *Client) Invoke(ctx context.Context, method string, req, reply any, opts ...grpc.CallOption) error {
	in, ok := req.(proto.Message)
	if !ok {
		return fmt.Errorf("%s: request %T is not a protobuf message", method, req)
	}
	out, ok := reply.(proto.Message)
	if !ok {
		return fmt.Errorf("%s: reply %T is not a protobuf message", method, reply)
	}
	var height int64
	var prove bool
	var keep *ctypes.ResultABCIQuery
	for _, o := range opts {
		if q, ok := o.(queryOption); ok {
			height = max(height, q.height)
			prove = prove || q.prove
			if q.result != nil {
				keep = q.result
			}
		}
	}
	data, err := proto.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", method, err)
	}
	res, err := c.QueryRaw(ctx, method, data, height, prove)
	if res != nil && keep != nil {
		*keep = *res
	}
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(res.Response.Value, out); err != nil {
		return fmt.Errorf("decode %s response: %w", method, err)
	}
	return nil
}

// NewStream is not offered: ABCI queries are unary.
func (c *Client) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, errors.New("streaming queries are not supported over ABCI")
}
