package client_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
)

// recorder is an ABCIQuerier that answers every query with res and keeps the request.
type recorder struct {
	got *abci.RequestQuery
	res abci.ResponseQuery
}

func (r *recorder) query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	r.got = req
	res := r.res
	return &res, nil
}

// Invoke encodes the request, sends it to the method's path with the call
// options' height and prove flag, and decodes the answer.
func TestInvokeBuildsTheABCIQuery(t *testing.T) {
	want := &bank.QueryBalanceResponse{Balance: types.NewCoin("uself", 42)}
	value, err := want.Marshal()
	require.NoError(t, err)
	r := &recorder{res: abci.ResponseQuery{Value: value, Height: 7}}
	q := bank.NewQueryClient(client.ABCIQuerier(r.query))
	req := &bank.QueryBalanceRequest{Address: "self1x", Denom: "uself"}

	got, err := q.Balance(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, want, got)
	reqBz, _ := req.Marshal()
	require.Equal(t, &abci.RequestQuery{Path: "/selfchain.bank.v1.Query/Balance", Data: reqBz}, r.got, "no options: latest height, no proof")

	var raw abci.ResponseQuery
	_, err = q.Balance(context.Background(), req, client.AtHeight(5), client.Prove(&raw))
	require.NoError(t, err)
	require.Equal(t, int64(5), r.got.Height)
	require.True(t, r.got.Prove)
	require.Equal(t, int64(7), raw.Height, "Prove keeps the whole answer")
	require.Equal(t, value, raw.Value)

	_, err = q.Balance(context.Background(), req, client.AtHeight(3))
	require.NoError(t, err)
	require.Equal(t, int64(3), r.got.Height)
	require.False(t, r.got.Prove)
}

// A non-zero code is a *QueryError naming the method; IsNotFound reads it; a
// proof asked for is kept even then. An answer that does not decode is an error.
func TestInvokeMapsQueryErrors(t *testing.T) {
	r := &recorder{res: abci.ResponseQuery{Code: runtime.ErrNotFound.Code(), Codespace: runtime.ErrNotFound.Codespace(), Log: "account self1x", Height: 9}}
	q := auth.NewQueryClient(client.ABCIQuerier(r.query))
	var raw abci.ResponseQuery
	_, err := q.Account(context.Background(), &auth.QueryAccountRequest{Address: "self1x"}, client.Prove(&raw))
	var qe *client.QueryError
	require.ErrorAs(t, err, &qe)
	require.Equal(t, client.QueryError{Path: "/selfchain.auth.v1.Query/Account", Codespace: runtime.ErrNotFound.Codespace(), Code: runtime.ErrNotFound.Code(), Log: "account self1x"}, *qe)
	require.True(t, client.IsNotFound(err))
	require.Equal(t, int64(9), raw.Height)

	r.res = abci.ResponseQuery{Code: runtime.ErrUnknownRequest.Code(), Codespace: runtime.ErrUnknownRequest.Codespace(), Log: "unknown query path"}
	_, err = q.Account(context.Background(), &auth.QueryAccountRequest{})
	require.ErrorAs(t, err, &qe)
	require.False(t, client.IsNotFound(err))

	r.res = abci.ResponseQuery{Value: []byte{0xff, 0xff}}
	_, err = q.Account(context.Background(), &auth.QueryAccountRequest{})
	require.ErrorContains(t, err, "decode /selfchain.auth.v1.Query/Account response")

	boom := errors.New("connection reset")
	failing := client.ABCIQuerier(func(context.Context, *abci.RequestQuery) (*abci.ResponseQuery, error) { return nil, boom })
	_, err = auth.NewQueryClient(failing).Account(context.Background(), &auth.QueryAccountRequest{})
	require.ErrorIs(t, err, boom)
}

// Arguments that are not protobuf messages are refused before anything is sent.
func TestInvokeRefusesNonProtoArguments(t *testing.T) {
	r := &recorder{}
	conn := client.ABCIQuerier(r.query)
	err := conn.Invoke(context.Background(), "/selfchain.bank.v1.Query/Balance", "self1x", &bank.QueryBalanceResponse{})
	require.ErrorContains(t, err, "request string is not a protobuf message")
	err = conn.Invoke(context.Background(), "/selfchain.bank.v1.Query/Balance", &bank.QueryBalanceRequest{}, new(int))
	require.ErrorContains(t, err, "reply *int is not a protobuf message")
	require.Nil(t, r.got, "nothing sent")
	_, err = conn.NewStream(context.Background(), nil, "/x")
	require.Error(t, err)
}

// On a real node (in process, over RPC): AtHeight reads past state, Prove keeps
// the node's answer, errors keep their codes, the tx factory reads accounts
// through x/auth's retriever, and an unreachable node says so.
func TestInvokeOnANode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	ctx := context.Background()
	home := t.TempDir()
	const chainID = "selfchain-clienttest-1"
	require.NoError(t, server.InitHome(home, "node0", chainID, ""))
	faucet, err := crypto.GenerateKey(crypto.KeyTypeEd25519)
	require.NoError(t, err)
	rcpt, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	funds, _ := types.ParseCoins("1000000000uself")
	require.NoError(t, server.AddGenesisAccount(server.GenesisPath(home), faucet.PubKey().Address(), funds, false))
	rpc, p2p := testutil.FreePort(t), testutil.FreePort(t)
	n, err := server.Start(ctx, home, cmtlog.NewNopLogger(), server.WithCometConfig(func(c *cmtcfg.Config) {
		c.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
		c.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p2p)
		c.P2P.PexReactor = false
		c.Consensus.TimeoutCommit = 200 * time.Millisecond
		c.Instrumentation.Prometheus = false
	}), server.WithAppConfig(func(c *app.Config) { c.API.Address = "" })) // init's fixed port: other tests may hold it
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Stop() })
	c, err := client.New(n.RPCAddress())
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		st, err := c.Status(ctx)
		return err == nil && st.SyncInfo.LatestBlockHeight >= 2
	}, 30*time.Second, 100*time.Millisecond)

	f := client.Factory{Gas: 200_000, GasPrices: "0.001uself"}
	signer := tx.KeySigner{Key: faucet}
	send := &bank.MsgSend{FromAddress: faucet.PubKey().Address().String(), ToAddress: rcpt.PubKey().Address().String(), Amount: types.Coins{types.NewCoin("uself", 1234)}}
	_, err = f.Prepare(ctx, c, signer, send)
	require.ErrorContains(t, err, "no Accounts", "a factory without an AccountRetriever says so")
	f.Accounts = auth.AccountRetriever{}
	plan, err := f.Prepare(ctx, c, signer, send)
	require.NoError(t, err)
	require.True(t, plan.IncludePubKey)
	require.Equal(t, chainID, plan.ChainID)
	bz, err := plan.Sign(signer)
	require.NoError(t, err)
	res, err := c.Broadcast(ctx, bz, true)
	require.NoError(t, err)
	require.True(t, res.OK() && res.Height > 0, "%+v", res)

	q := bank.NewQueryClient(c)
	req := &bank.QueryBalanceRequest{Address: rcpt.PubKey().Address().String(), Denom: "uself"}
	now, err := q.Balance(ctx, req)
	require.NoError(t, err)
	require.Equal(t, "1234", now.Balance.Amount.String())
	before, err := q.Balance(ctx, req, client.AtHeight(res.Height-1))
	require.NoError(t, err)
	require.True(t, before.Balance.Amount.IsZero(), "the state before the tx's block: %s", before.Balance)
	var raw abci.ResponseQuery
	at, err := q.Balance(ctx, req, client.AtHeight(res.Height), client.Prove(&raw))
	require.NoError(t, err)
	require.Equal(t, "1234", at.Balance.Amount.String())
	require.Equal(t, res.Height, raw.Height, "the node's answer is kept")
	var decoded bank.QueryBalanceResponse
	require.NoError(t, decoded.Unmarshal(raw.Value))
	require.Equal(t, at.Balance, decoded.Balance)

	_, err = q.Balance(ctx, req, client.AtHeight(res.Height+1000))
	var qe *client.QueryError
	require.ErrorAs(t, err, &qe, "a height the node does not have is the app's error")

	_, _, _, err = auth.AccountRetriever{}.AccountInfo(ctx, c, testutil.NewAccount(99).Addr)
	require.ErrorContains(t, err, "must receive funds first")
	_, err = auth.NewQueryClient(c).Account(ctx, &auth.QueryAccountRequest{Address: testutil.NewAccount(99).Addr.String()})
	require.True(t, client.IsNotFound(err), "%v", err)
	err = c.Invoke(ctx, "/selfchain.nope.v1.Query/X", &bank.QueryBalanceRequest{}, &bank.QueryBalanceResponse{})
	require.ErrorAs(t, err, &qe)
	require.Equal(t, runtime.ErrUnknownRequest.Codespace(), qe.Codespace)
	require.Equal(t, runtime.ErrUnknownRequest.Code(), qe.Code)
	require.Equal(t, "/selfchain.nope.v1.Query/X", qe.Path)

	down, err := client.New(fmt.Sprintf("tcp://127.0.0.1:%d", testutil.FreePort(t)))
	require.NoError(t, err)
	_, err = bank.NewQueryClient(down).Balance(ctx, req)
	require.ErrorContains(t, err, "cannot reach node")
}
