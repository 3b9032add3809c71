package relayer

import (
	"context"
	"fmt"
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
	peers, err := newPeers(side.Nodes())
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
	hashes, err := c.broadcastMany(ctx, send(3))
	require.NoError(t, err)
	require.Len(t, hashes, 3)
	committed(hashes)

	// The first validator stops: the relayer goes on through the second.
	require.NoError(t, net.Stop(0))
	_, err = c.cl.Status(ctx)
	require.NoError(t, err)
	hashes, err = c.broadcastMany(ctx, send(2))
	require.NoError(t, err)
	require.Len(t, hashes, 2)
	committed(hashes)

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
