package constellation

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/selfchain/selfchain/client"
)

// How constellation talks to its nodes: one client.Client per node, CometBFT
// calls through its RPC(), module queries through the generated query clients
// (poai.NewQueryClient(cl)), each call bounded by rpcTimeout.

// rpcTimeout bounds each call to a node: a frozen (SIGSTOPped) node accepts
// connections but never answers, and it must not use up the whole deadline
// of a `status` that still has other nodes to ask.
const rpcTimeout = 2 * time.Second

// nodeClients holds one client per node RPC port, so that `status --watch` and
// every Prometheus scrape reuse their connections instead of opening new ones.
var nodeClients sync.Map // int -> *client.Client

// nodeClient is the client of the node whose RPC listens on 127.0.0.1:port.
func nodeClient(port int) (*client.Client, error) {
	if cl, ok := nodeClients.Load(port); ok {
		return cl.(*client.Client), nil
	}
	cl, err := client.New(fmt.Sprintf("tcp://127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	actual, _ := nodeClients.LoadOrStore(port, cl)
	return actual.(*client.Client), nil
}

// call runs one node call under rpcTimeout.
func call[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	return f(ctx)
}

// nodeCatchingUp reports whether the node is still block-syncing (or does not
// answer /status), during which CometBFT refuses broadcast_tx.
func nodeCatchingUp(port int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cl, err := nodeClient(port)
	if err != nil {
		return true
	}
	s, err := cl.RPC().Status(ctx)
	return err != nil || s.SyncInfo.CatchingUp
}

// nodeHeight is the last height the node's application committed, if it
// answers (/abci_info: /status's height comes from the block store, which is
// written before the application commits, so a query could still find no
// state). 0 means nothing is committed yet.
func nodeHeight(port int) (int64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cl, err := nodeClient(port)
	if err != nil {
		return 0, false
	}
	ai, err := cl.RPC().ABCIInfo(ctx)
	if err != nil {
		return 0, false
	}
	return ai.Response.LastBlockHeight, true
}
