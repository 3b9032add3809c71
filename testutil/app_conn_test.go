package testutil_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
)

// TestApp answers the generated query clients in process as a node does over RPC:
// the same call options and the same errors.
func TestTestAppIsAClientConn(t *testing.T) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	ta := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState(accs, 1_000_000))
	t.Cleanup(func() { _ = ta.Close() })
	ta.NextBlock()
	ta.NextBlock(testutil.Send(accs[0], accs[1].Addr, 1234, testutil.TxOpts{}))
	ctx := context.Background()

	q := bank.NewQueryClient(ta)
	req := &bank.QueryBalanceRequest{Address: accs[1].Addr.String(), Denom: testutil.Denom}
	now, err := q.Balance(ctx, req)
	require.NoError(t, err)
	require.Equal(t, "1001234", now.Balance.Amount.String())
	var raw abci.ResponseQuery
	before, err := q.Balance(ctx, req, client.AtHeight(1), client.Prove(&raw))
	require.NoError(t, err)
	require.Equal(t, "1000000", before.Balance.Amount.String())
	require.Equal(t, int64(1), raw.Height)
	require.Equal(t, ta.Balance(accs[1].Addr, testutil.Denom), now.Balance.Amount)

	_, err = auth.NewQueryClient(ta).Account(ctx, &auth.QueryAccountRequest{Address: testutil.NewAccount(7).Addr.String()})
	require.True(t, client.IsNotFound(err), "%v", err)
	num, seq, hasPub, err := auth.AccountRetriever{}.AccountInfo(ctx, ta, accs[0].Addr)
	require.NoError(t, err)
	require.Equal(t, []any{uint64(0), uint64(1), true}, []any{num, seq, hasPub})
}
