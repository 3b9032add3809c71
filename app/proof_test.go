package app_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/bank"
)

// A prove=true store query returns ICS-23 proofs (bank tree + multistore) that
// verify against the app hash committed at that height, for a present key and for
// an absent one; a tampered value does not verify.
func TestProvenQueriesVerifyAgainstAppHash(t *testing.T) {
	ta, accs := newApp(t, 2)
	ta.NextBlock(testutil.Send(accs[0], accs[1].Addr, 1234, testutil.TxOpts{}))
	appHash := ta.LastCommitID().Hash

	key, err := bank.BalanceKey(accs[1].Addr, testutil.Denom)
	require.NoError(t, err)
	res, err := ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/bank/key", Data: key, Prove: true})
	require.NoError(t, err)
	require.Zero(t, res.Code, res.Log)
	require.NotEmpty(t, res.Value)
	require.NotNil(t, res.ProofOps)
	require.Equal(t, ta.LastCommitID().Version, res.Height)
	require.NoError(t, store.VerifyMembership(appHash, "bank", key, res.Value, res.ProofOps))
	require.Error(t, store.VerifyMembership(appHash, "bank", key, append([]byte{1}, res.Value...), res.ProofOps))

	absent, err := bank.BalanceKey(testutil.NewAccount(500).Addr, testutil.Denom)
	require.NoError(t, err)
	res, err = ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/bank/key", Data: absent, Prove: true})
	require.NoError(t, err)
	require.Zero(t, res.Code, res.Log)
	require.Empty(t, res.Value)
	require.NoError(t, store.VerifyNonMembership(appHash, "bank", absent, res.ProofOps))
	require.Error(t, store.VerifyNonMembership(appHash, "bank", key, res.ProofOps), "a non-membership proof must not cover a present key")

	// A past height answers with that height's state.
	old, err := ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/bank/key", Data: key, Height: 1})
	require.NoError(t, err)
	require.Zero(t, old.Code, old.Log)
	require.NotEqual(t, old.Value, ta.Balance(accs[1].Addr, testutil.Denom).String())
}

func TestUnknownQueryPathIsAClearError(t *testing.T) {
	ta, _ := newApp(t, 1)
	res, err := ta.Query(context.Background(), &abci.RequestQuery{Path: "/selfchain.nope.v1.Query/X"})
	require.NoError(t, err)
	require.NotZero(t, res.Code)
	require.Contains(t, res.Log, "unknown query path")
}

// /store/<module>/keys proves many keys in one query, each against the app hash;
// malformed requests are clear errors.
func TestStoreKeysQueryProvesEachKey(t *testing.T) {
	ta, accs := newApp(t, 2)
	ta.NextBlock(testutil.Send(accs[0], accs[1].Addr, 1234, testutil.TxOpts{}))
	appHash := ta.LastCommitID().Hash
	present, err := bank.BalanceKey(accs[1].Addr, testutil.Denom)
	require.NoError(t, err)
	absent, err := bank.BalanceKey(testutil.NewAccount(500).Addr, testutil.Denom)
	require.NoError(t, err)
	data, err := (&query.StoreKeysRequest{Keys: [][]byte{present, absent}}).Marshal()
	require.NoError(t, err)
	res, err := ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/bank/keys", Data: data})
	require.NoError(t, err)
	require.Zero(t, res.Code, res.Log)
	var got query.StoreKeysResponse
	require.NoError(t, got.Unmarshal(res.Value))
	require.Len(t, got.Proofs, 2)
	for i, p := range got.Proofs {
		var ops store.ProofOps
		require.NoError(t, ops.Unmarshal(p.ProofOps))
		if i == 0 {
			require.NoError(t, store.VerifyMembership(appHash, "bank", present, p.Value, &ops))
		} else {
			require.Empty(t, p.Value)
			require.NoError(t, store.VerifyNonMembership(appHash, "bank", absent, &ops))
		}
	}

	tooMany, err := (&query.StoreKeysRequest{Keys: make([][]byte, store.MaxQueryKeys+1)}).Marshal()
	require.NoError(t, err)
	for _, bad := range []struct{ path, want string }{
		{"/store/bank/keys", "StoreKeysRequest"}, // garbage data below
		{"/store/nostore/keys", "no store named"},
	} {
		res, err := ta.Query(context.Background(), &abci.RequestQuery{Path: bad.path, Data: []byte{0xff, 0xff}})
		require.NoError(t, err)
		require.NotZero(t, res.Code)
		require.Contains(t, res.Log, bad.want)
	}
	res, err = ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/bank/keys", Data: tooMany})
	require.NoError(t, err)
	require.Contains(t, res.Log, "give 1 to 1000")
}
