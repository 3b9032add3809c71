package relayer

import (
	"context"
	"fmt"
	gonet "net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
)

func TestSideNodes(t *testing.T) {
	s := Side{RPC: "a", RPCs: []string{"b", " a", "", "b", "c"}}
	require.Equal(t, []string{"a", "b", "c"}, s.Nodes())
	s.RPCs = make([]string, maxNodes+1)
	s.Name, s.ChainID = "x", "x-1"
	require.ErrorContains(t, s.Validate(), "at most")
}

// TestBroadcastToEveryNodeAndFailover runs two real validators (the second holds
// nearly all the power, so the chain goes on when the first stops) and a chain
// whose first RPC is a port nobody listens on: queries fail over to the live
// nodes; txs go to every node (the same bytes, one hash) and commit;
// with the first validator stopped, queries and broadcasts carry on through the
// second, and the txs still commit.
func TestBroadcastToEveryNodeAndFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	net := network.New(t, network.Config{Validators: []network.ValidatorConfig{
		{KeyType: server.ConsensusKeyEd25519, Power: 1}, {KeyType: server.ConsensusKeyEd25519, Power: 100}}})
	require.NoError(t, net.WaitForHeight(2, 60*time.Second))
	dead := fmt.Sprintf("tcp://127.0.0.1:%d", testutil.FreePort(t))
	side := Side{Name: "two", RPC: dead, RPCs: []string{net.Nodes[0].RPCAddress, net.Nodes[1].RPCAddress}}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	var logged []string
	cl, err := newNodeClient(side.Nodes(), func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) })
	require.NoError(t, err)
	// And a node that accepts connections but never answers (hung): broadcasts do
	// not wait for it beyond stragglerWait.
	hung, err := gonet.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer hung.Close()
	go func() {
		for {
			conn, err := hung.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	peers, err := newPeers(append(side.Nodes(), "tcp://"+hung.Addr().String()))
	require.NoError(t, err)
	c := &chain{Side: side, cl: cl, peers: peers, heads: newHeads()}

	st, err := c.cl.Status(ctx)
	require.NoError(t, err, "the dead first RPC is skipped")
	require.NotEmpty(t, st.NodeInfo.Network)
	require.NotEmpty(t, logged, "the switch is logged")

	from, to := net.Accounts[0], net.Accounts[1]
	send := func(n int) [][]byte {
		var txs [][]byte
		for range n {
			txs = append(txs, testutil.Send(from, to.Addr, 1, testutil.TxOpts{}))
		}
		return txs
	}
	committed := func(hashes [][]byte) {
		for _, h := range hashes {
			res, err := c.cl.WaitForTx(ctx, h, 30*time.Second)
			require.NoError(t, err)
			require.Zero(t, res.Code, res.Log)
		}
	}
	t0 := time.Now()
	hashes, err := c.broadcastMany(ctx, send(3))
	require.NoError(t, err)
	require.Len(t, hashes, 3)
	require.Less(t, time.Since(t0), callTimeout, "the hung node does not hold the broadcast for a whole call timeout")
	committed(hashes)

	// The first validator stops: the relayer goes on through the second.
	require.NoError(t, net.Stop(0))
	_, err = c.cl.Status(ctx)
	require.NoError(t, err)
	hashes, err = c.broadcastMany(ctx, send(2))
	require.NoError(t, err)
	require.Len(t, hashes, 2)
	committed(hashes)

	// --broadcast one: to the first node that can be reached (the dead port and the
	// stopped validator are skipped).
	c.broadcastOne = true
	hashes, err = c.broadcastMany(ctx, send(2))
	require.NoError(t, err)
	require.Len(t, hashes, 2)
	committed(hashes)
	c.broadcastOne = false

	// A refusal by every node is the chain's answer, with its code.
	bad := testutil.Send(from, to.Addr, 1, testutil.TxOpts{})
	from.Seq-- // used again: a sequence mismatch
	bad2 := testutil.Send(from, to.Addr, 2, testutil.TxOpts{})
	hashes, err = c.broadcastMany(ctx, [][]byte{bad, bad2})
	require.Len(t, hashes, 1)
	var te *TxError
	require.ErrorAs(t, err, &te)
	require.NotZero(t, te.Code)
}

// A node's batch answer with one call failed ("tx already exists in cache": the node
// had it from gossip; "tx already seen" with the app mempool) and one refused by
// CheckTx keeps each tx's answer.
func TestDecodeBroadcastAnswers(t *testing.T) {
	bz := []byte(`[{"jsonrpc":"2.0","id":0,"error":{"code":-32603,"message":"Internal error","data":"tx already exists in cache"}},
{"jsonrpc":"2.0","id":1,"result":{"code":0,"data":"","log":"","codespace":"","hash":"AB"}},
{"jsonrpc":"2.0","id":2,"result":{"code":32,"data":"","log":"account sequence mismatch","codespace":"sdk","hash":"CD"}}]`)
	out, err := decodeBroadcastAnswers(bz, 3)
	require.NoError(t, err)
	require.True(t, out[0].taken(), "in the node's cache: taken")
	require.True(t, out[1].taken())
	require.False(t, out[2].taken())
	require.Equal(t, uint32(32), out[2].res.Code)

	// The app mempool's words for the same.
	seen, err := decodeBroadcastAnswers([]byte(`[{"jsonrpc":"2.0","id":0,"error":{"code":-32603,"message":"Internal error","data":"tx already seen"}},
{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"tx is empty"}}]`), 2)
	require.NoError(t, err)
	require.True(t, seen[0].taken(), "seen by the app mempool: taken")
	require.False(t, seen[1].taken())

	one, err := decodeBroadcastAnswers([]byte(`{"jsonrpc":"2.0","id":0,"result":{"code":0,"data":"","log":"","codespace":"","hash":"AB"}}`), 1)
	require.NoError(t, err)
	require.True(t, one[0].taken())
	_, err = decodeBroadcastAnswers([]byte(`{"jsonrpc":"2.0","id":-1,"error":{"code":-32600,"message":"Invalid Request"}}`), 2)
	require.Error(t, err, "the whole request refused")
	_, err = decodeBroadcastAnswers([]byte(`<html>`), 2)
	require.Error(t, err)
}

// FuzzDecodeBroadcastAnswers: whatever a node answers, no panic, and never more
// answers than txs.
func FuzzDecodeBroadcastAnswers(f *testing.F) {
	f.Add([]byte(`[{"jsonrpc":"2.0","id":0,"result":{"code":0,"hash":"AB"}}]`), 1)
	f.Add([]byte(`{"jsonrpc":"2.0","id":0,"error":{"code":1,"message":"x"}}`), 2)
	f.Add([]byte(`[{"id":5},{"id":"a"},{"id":-3}]`), 3)
	f.Fuzz(func(t *testing.T, bz []byte, n int) {
		n = n & 63
		out, err := decodeBroadcastAnswers(bz, n)
		if err == nil && len(out) != n {
			t.Fatalf("%d answers for %d txs", len(out), n)
		}
	})
}
