package poai_test

import (
	"testing"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/poai"
)

// Validators pages with the shared PageRequest/PageResponse: following next_key
// visits every validator once; a key this query did not
// hand out is ErrInvalidRequest, as is one of FlaggedTxs.
func TestValidatorsPagination(t *testing.T) {
	gs := poai.GenesisState{Params: testParams(alice.Addr.String())}
	for i := 0; i < 5; i++ {
		key := cmted25519.GenPrivKeyFromSecret([]byte{byte(i)})
		gs.Validators = append(gs.Validators, genVal(testutil.NewAccount(100+i).Addr.String(), key, genStake))
	}
	e := newEnvWith(t, nil, gs)
	ctx := e.ctx(1)
	q := poai.NewQueryServer(e.k)

	var seen []string
	page := &query.PageRequest{Limit: 2}
	for i := 0; ; i++ {
		require.Less(t, i, 10)
		res, err := q.Validators(ctx, &poai.QueryValidatorsRequest{Pagination: page})
		require.NoError(t, err)
		require.NotNil(t, res.Pagination)
		require.LessOrEqual(t, len(res.Validators), 2)
		for _, v := range res.Validators {
			seen = append(seen, v.OperatorAddress)
		}
		if len(res.Pagination.NextKey) == 0 {
			break
		}
		page = &query.PageRequest{Key: res.Pagination.NextKey, Limit: 2}
	}
	require.Len(t, seen, 5)
	uniq := map[string]bool{}
	for _, op := range seen {
		uniq[op] = true
	}
	require.Len(t, uniq, 5, "each validator once")

	for _, bad := range [][]byte{{1}, make([]byte, 21), []byte("not an operator address")} {
		_, err := q.Validators(ctx, &poai.QueryValidatorsRequest{Pagination: &query.PageRequest{Key: bad}})
		require.ErrorIs(t, err, runtime.ErrInvalidRequest, "%x", bad)
		_, err = q.FlaggedTxs(ctx, &poai.QueryFlaggedTxsRequest{Pagination: &query.PageRequest{Key: bad}})
		require.ErrorIs(t, err, runtime.ErrInvalidRequest, "%x", bad)
	}
	res, err := q.FlaggedTxs(ctx, &poai.QueryFlaggedTxsRequest{})
	require.NoError(t, err)
	require.Empty(t, res.Pagination.GetNextKey())
}
