package poai_test

import (
	"context"
	"encoding/binary"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

// BenchmarkEpochTransition1000 measures one epoch-end EndBlock over 1,000
// registered validators (max_validators 100 active): reputation refresh and
// history for all, selection, the 1/3 cap, rewards to the set, validator updates.
// Each iteration runs on a fresh copy of the same state (in-memory store).
func BenchmarkEpochTransition1000(b *testing.B) {
	const n = 1000
	gs := poai.GenesisState{Params: testParams(alice.Addr.String())}
	gs.Params.EpochLength = 1_000_000
	for i := 0; i < n; i++ {
		seed := binary.BigEndian.AppendUint32([]byte("bench-validator"), uint32(i))
		key := cmted25519.GenPrivKeyFromSecret(seed)
		op := crypto.PubKeyAddress("bench", seed)
		gs.Validators = append(gs.Validators, poai.Validator{
			OperatorAddress: op.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(key.PubKey()), ConsensusKeyProof: keyProof(key, op.String()),
			SelfStake: uint64(1_000_000 * (1 + i%50)), AgreementAvg: uint32(500_000 + i*431%500_000), SignedAvg: 1_000_000,
		})
	}
	setup := func() (*env, *runtime.Context) {
		e := &env{stores: store.MemStores{}}
		e.ak = auth.NewKeeper(runtime.NewKVStoreService(auth.ModuleName))
		e.bk = bank.NewKeeper(runtime.NewKVStoreService(bank.ModuleName), e.ak)
		e.k = poai.NewKeeper(runtime.NewKVStoreService(poai.ModuleName), e.bk, poai.WithFeeCollector(bank.FeeCollector))
		ctx := e.ctx(1)
		require.NoError(b, e.ak.InitGenesis(ctx, auth.DefaultGenesis()))
		require.NoError(b, e.bk.InitGenesis(ctx, bank.DefaultGenesis()))
		require.NoError(b, e.k.InitGenesis(ctx, gs))
		_, err := e.k.InitialValidatorUpdates(ctx, nil)
		require.NoError(b, err)
		// Shift reputations so the epoch changes the set.
		for i, v := range gs.Validators[:200] {
			v.AgreementAvg = uint32(i % 3 * 100_000)
			op, _ := crypto.AddressFromBech32(v.OperatorAddress)
			got, _, _ := e.k.GetValidator(ctx, op)
			got.AgreementAvg = v.AgreementAvg
			require.NoError(b, e.k.Validators.Set(ctx, op, got))
		}
		ep, err := e.k.Epoch.Get(ctx)
		require.NoError(b, err)
		ep.NextEpochHeight = 2
		require.NoError(b, e.k.Epoch.Set(ctx, ep))
		return e, e.ctx(2)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e, ctx := setup()
		b.StartTimer()
		updates, err := e.k.EndBlock(ctx)
		if err != nil || len(updates) == 0 {
			b.Fatalf("epoch: %v, %d updates", err, len(updates))
		}
	}
}

// BenchmarkBeginBlock100 measures the per-block signature bookkeeping (signed
// average, downtime bitmap) for a commit of 100 validators, 10 of them absent.
func BenchmarkBeginBlock100(b *testing.B) {
	gs := poai.GenesisState{Params: testParams(alice.Addr.String())}
	gs.Params.DowntimeWindow, gs.Params.MaxMissedBlocks = 10_000, 9_999 // nobody gets jailed mid-benchmark
	var votes []abci.VoteInfo
	for i := 0; i < 100; i++ {
		seed := binary.BigEndian.AppendUint32([]byte("bench-begin"), uint32(i))
		key := cmted25519.GenPrivKeyFromSecret(seed)
		gs.Validators = append(gs.Validators, genVal(crypto.PubKeyAddress("bench", seed).String(), key, 1_000_000))
		votes = append(votes, vote(key, 1, i%10 != 0))
	}
	e := &env{stores: store.MemStores{}}
	e.ak = auth.NewKeeper(runtime.NewKVStoreService(auth.ModuleName))
	e.bk = bank.NewKeeper(runtime.NewKVStoreService(bank.ModuleName), e.ak)
	e.k = poai.NewKeeper(runtime.NewKVStoreService(poai.ModuleName), e.bk, poai.WithFeeCollector(bank.FeeCollector))
	ctx := e.ctx(1)
	require.NoError(b, e.ak.InitGenesis(ctx, auth.DefaultGenesis()))
	require.NoError(b, e.bk.InitGenesis(ctx, bank.DefaultGenesis()))
	require.NoError(b, e.k.InitGenesis(ctx, gs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bctx := runtime.NewContext(context.Background(), e.stores, runtime.Header{ChainID: testutil.ChainID, Height: int64(i + 2),
			LastCommit: abci.CommitInfo{Votes: votes}}, runtime.ModeFinalize, nil)
		if err := e.k.BeginBlock(bctx); err != nil {
			b.Fatal(err)
		}
	}
}
